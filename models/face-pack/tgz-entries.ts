/**
 * Reads chosen regular files out of a gzipped tar (an npm package tarball) without a tar
 * dependency: 512-byte headers, ustar name prefixes, and the pax / GNU long-name records npm
 * may write.
 */
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import { FacePackError } from "./face-pack-error.ts";

const BLOCK = 512;

function field(block: Uint8Array, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return new TextDecoder().decode(block.subarray(start, end === -1 || end > start + length ? start + length : end));
}

function octal(block: Uint8Array, start: number, length: number): number {
  const text = field(block, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new FacePackError("archive_invalid", `bad tar size field "${text}"`);
  return text ? parseInt(text, 8) : 0;
}

function paxPath(data: Uint8Array): string | undefined {
  // Records are "<len> key=value\n".
  for (const line of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Every regular file whose path `wanted` accepts, by path. */
export async function readTgzEntries(tgz: Uint8Array, wanted: (path: string) => boolean): Promise<Map<string, Uint8Array>> {
  let tar: Uint8Array;
  try {
    tar = new Uint8Array(await promisify(gunzip)(tgz));
  } catch (err) {
    throw new FacePackError("archive_invalid", `not a gzip file: ${(err as Error).message}`);
  }
  const found = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new FacePackError("archive_invalid", "the tar archive is truncated");
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if ((type === "0" || type === "\0") && wanted(name)) found.set(name, data.slice());
  }
  return found;
}
