import { inflateRawSync } from "node:zlib";
import { fileReader, memoryReader, type ByteReader } from "./byte-reader.ts";
import { CheckpointError } from "./checkpoint-error.ts";
import { crc32 } from "./crc32.ts";

/**
 * A read-only zip archive (the container torch.save writes since PyTorch 1.6). Only the central
 * directory is read up front; each entry is read by offset when asked for, so a multi-gigabyte
 * archive is never loaded whole. Stored and deflated entries, zip64 sizes and offsets.
 */

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Where the entry's local header starts. */
  readonly localHeaderOffset: number;
  /** CRC-32 of the uncompressed content, checked whenever the whole entry is read. */
  readonly crc32: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** Inflating more than this at once would exhaust memory; torch stores its tensors uncompressed anyway. */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();
  /** Data offsets, found from local headers on first use. */
  private readonly dataOffsets = new Map<string, number>();

  private constructor(
    readonly file: string,
    private readonly reader: ByteReader,
  ) {
    for (const e of readCentralDirectory(reader, file)) this.byName.set(e.name, e);
  }

  static open(path: string): ZipArchive {
    const reader = fileReader(path);
    try {
      return new ZipArchive(path, reader);
    } catch (err) {
      reader.close();
      throw err;
    }
  }

  static fromBytes(bytes: Uint8Array, label = "<memory>"): ZipArchive {
    return new ZipArchive(label, memoryReader(bytes, label));
  }

  entries(): ZipEntry[] {
    return [...this.byName.values()];
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The whole (uncompressed) content of an entry. */
  read(name: string): Uint8Array {
    const e = this.require(name);
    return this.readRange(name, 0, e.uncompressedSize);
  }

  /** Bytes [offset, offset + length) of an entry's uncompressed content; stored entries read only that range. */
  readRange(name: string, offset: number, length: number): Uint8Array {
    const e = this.require(name);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > e.uncompressedSize) {
      throw new CheckpointError("malformed", `range [${offset}, ${offset + length}) lies outside entry "${name}" (${e.uncompressedSize} bytes)`, this.file);
    }
    const start = this.dataOffset(e);
    if (e.method === METHOD_STORED) {
      const bytes = this.reader.read(start + offset, length);
      if (length === e.uncompressedSize) this.checkCrc(e, bytes);
      return bytes;
    }
    const inflated = this.inflate(e, start);
    this.checkCrc(e, inflated);
    return inflated.subarray(offset, offset + length);
  }

  close(): void {
    this.reader.close();
  }

  private require(name: string): ZipEntry {
    const e = this.byName.get(name);
    if (!e) throw new CheckpointError("malformed", `zip has no entry "${name}"`, this.file);
    return e;
  }

  private checkCrc(e: ZipEntry, content: Uint8Array): void {
    const actual = crc32(content);
    if (actual !== e.crc32) {
      throw new CheckpointError("malformed", `entry "${e.name}" is corrupt: CRC-32 ${hex(actual)} where its directory says ${hex(e.crc32)}`, this.file);
    }
  }

  private inflate(e: ZipEntry, start: number): Uint8Array {
    if (e.uncompressedSize > MAX_INFLATED_BYTES) {
      throw new CheckpointError("malformed", `deflated entry "${e.name}" is too large (${e.uncompressedSize} bytes) to inflate`, this.file);
    }
    let out: Buffer;
    try {
      out = inflateRawSync(this.reader.read(start, e.compressedSize), { maxOutputLength: Math.max(1, e.uncompressedSize) });
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError("malformed", `entry "${e.name}" does not inflate (${(err as Error).message})`, this.file);
    }
    if (out.byteLength !== e.uncompressedSize) {
      throw new CheckpointError("malformed", `entry "${e.name}" inflates to ${out.byteLength} bytes, not the ${e.uncompressedSize} its directory says`, this.file);
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  private dataOffset(e: ZipEntry): number {
    const cached = this.dataOffsets.get(e.name);
    if (cached !== undefined) return cached;
    const header = this.reader.read(e.localHeaderOffset, 30);
    const dv = dataView(header);
    if (dv.getUint32(0, true) !== SIG_LOCAL) {
      throw new CheckpointError("malformed", `entry "${e.name}" has no local header at byte ${e.localHeaderOffset}`, this.file);
    }
    const start = e.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
    if (start + e.compressedSize > this.reader.size) {
      throw new CheckpointError("truncated", `entry "${e.name}" ends at byte ${start + e.compressedSize} of a ${this.reader.size}-byte file`, this.file);
    }
    this.dataOffsets.set(e.name, start);
    return start;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, at: number, what: string, file: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError("malformed", `zip64 ${what} ${v} is implausible`, file);
  return Number(v);
}

interface Directory {
  count: number;
  size: number;
  offset: number;
}

/** The end-of-central-directory record (and its zip64 twin when present) says where the directory is. */
function findDirectory(reader: ByteReader, file: string): Directory {
  const tailLength = Math.min(reader.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = reader.size - tailLength;
  const tail = reader.read(tailStart, tailLength);
  const dv = dataView(tail);
  let at = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + dv.getUint16(i + 20, true) <= tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const startsLikeZip = reader.size >= 4 && dataView(reader.read(0, 4)).getUint32(0, true) === SIG_LOCAL;
    if (startsLikeZip) throw new CheckpointError("truncated", "zip has no end-of-central-directory record: the file was cut short", file);
    throw new CheckpointError("malformed", "not a zip archive (no end-of-central-directory record)", file);
  }
  const dir: Directory = { count: dv.getUint16(at + 10, true), size: dv.getUint32(at + 12, true), offset: dv.getUint32(at + 16, true) };
  const eocdPos = tailStart + at;
  const locatorPos = eocdPos - 20;
  if (locatorPos >= 0) {
    const locator = dataView(reader.read(locatorPos, 20));
    if (locator.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const recordPos = u64(locator, 8, "end-of-directory offset", file);
      if (recordPos + 56 > locatorPos) throw new CheckpointError("malformed", `zip64 end-of-directory record offset ${recordPos} is out of place`, file);
      const record = dataView(reader.read(recordPos, 56));
      if (record.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new CheckpointError("malformed", "zip64 locator points at no zip64 end-of-directory record", file);
      return { count: u64(record, 32, "entry count", file), size: u64(record, 40, "directory size", file), offset: u64(record, 48, "directory offset", file) };
    }
  }
  if (dir.offset + dir.size > eocdPos) {
    throw new CheckpointError("malformed", `central directory [${dir.offset}, ${dir.offset + dir.size}) overlaps its end record at ${eocdPos}`, file);
  }
  return dir;
}

function readCentralDirectory(reader: ByteReader, file: string): ZipEntry[] {
  const dir = findDirectory(reader, file);
  if (dir.offset + dir.size > reader.size) {
    throw new CheckpointError("truncated", `central directory ends at byte ${dir.offset + dir.size} of a ${reader.size}-byte file`, file);
  }
  // Each record is at least 46 bytes: a count beyond that is a lie, not a reason to loop.
  if (dir.count * 46 > dir.size) throw new CheckpointError("malformed", `central directory of ${dir.size} bytes cannot hold ${dir.count} entries`, file);
  const bytes = reader.read(dir.offset, dir.size);
  const dv = dataView(bytes);
  const names = new TextDecoder("utf-8");
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < dir.count; i++) {
    if (p + 46 > bytes.byteLength || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new CheckpointError("malformed", `central directory record ${i} is missing or corrupt`, file);
    }
    const flags = dv.getUint16(p + 8, true);
    const crc = dv.getUint32(p + 16, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > bytes.byteLength) throw new CheckpointError("malformed", `central directory record ${i} runs past the directory`, file);
    const name = names.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: 64-bit values for exactly those fields saturated at 0xFFFFFFFF, in this order.
    const extra = dataView(bytes.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    for (let q = 0; q + 4 <= extra.byteLength; ) {
      const id = extra.getUint16(q, true);
      const len = extra.getUint16(q + 2, true);
      if (id === 0x0001) {
        let r = q + 4;
        const next = (what: string): number => {
          if (r + 8 > q + 4 + len || r + 8 > extra.byteLength) throw new CheckpointError("malformed", `zip64 field of "${name}" lacks its ${what}`, file);
          const v = u64(extra, r, what, file);
          r += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next("uncompressed size");
        if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next("local header offset");
      }
      q += 4 + len;
    }
    if (flags & 1) throw new CheckpointError("malformed", `entry "${name}" is encrypted`, file);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      throw new CheckpointError("malformed", `entry "${name}" uses compression method ${method}; only stored (0) and deflate (8) are supported`, file);
    }
    if (method === METHOD_STORED && compressedSize !== uncompressedSize) {
      throw new CheckpointError("malformed", `stored entry "${name}" has compressed size ${compressedSize} but uncompressed size ${uncompressedSize}`, file);
    }
    if (localHeaderOffset + 30 + compressedSize > reader.size) {
      throw new CheckpointError("truncated", `entry "${name}" lies beyond the end of the ${reader.size}-byte file`, file);
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset, crc32: crc });
    p = end;
  }
  return entries;
}
