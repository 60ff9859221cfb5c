import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CheckpointError } from "./checkpoint-error.ts";

/** Random access to the bytes of a checkpoint, so a multi-gigabyte file is read piece by piece, never whole. */
export interface ByteReader {
  readonly size: number;
  /** Bytes [offset, offset + length); throws CheckpointError("truncated") past the end. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function fileReader(path: string): ByteReader {
  const fd = openSync(path, "r");
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw new CheckpointError("truncated", `unexpected end of file at byte ${offset + done}`, path);
        done += n;
      }
      return buf;
    },
    close() {
      closeSync(fd);
    },
  };
}

export function memoryReader(bytes: Uint8Array, label = "<memory>"): ByteReader {
  return {
    size: bytes.byteLength,
    read(offset, length) {
      if (offset < 0 || offset + length > bytes.byteLength) {
        throw new CheckpointError("truncated", `unexpected end of data at byte ${Math.min(offset + length, bytes.byteLength)}`, label);
      }
      return bytes.slice(offset, offset + length);
    },
    close() {},
  };
}
