import * as zlib from "node:zlib";

/** CRC-32 as zip uses it (polynomial 0xEDB88320). */

let table: Uint32Array | undefined;

/** Portable table-driven CRC-32, for Node versions without zlib.crc32 (< 20.15). */
export function crc32Portable(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** zlib's native CRC-32 where this Node has it (much faster on gigabyte checkpoints), else the portable one. */
export function crc32(bytes: Uint8Array): number {
  return typeof native === "function" ? native(bytes) >>> 0 : crc32Portable(bytes);
}
