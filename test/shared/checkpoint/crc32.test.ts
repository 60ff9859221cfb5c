import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, crc32Portable } from "../../../shared/checkpoint/crc32.ts";
import { seededRandom } from "./build-torch-zip.ts";

describe("crc32", () => {
  it("the portable and the native CRC-32 agree with zlib on empty, short and long inputs", () => {
    const rnd = seededRandom(5);
    for (const n of [0, 1, 7, 256, 100_003]) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      expect(crc32Portable(bytes)).toBe(zlibCrc32(bytes) >>> 0);
      expect(crc32(bytes)).toBe(zlibCrc32(bytes) >>> 0);
    }
  });

  it("one flipped bit changes the checksum", () => {
    const bytes = new TextEncoder().encode("state dict");
    const flipped = bytes.slice();
    flipped[3]! ^= 0x10;
    expect(crc32Portable(flipped)).not.toBe(crc32Portable(bytes));
  });
});
