import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError, type CheckpointErrorCode } from "../../../shared/checkpoint/checkpoint-error.ts";
import { ZipArchive } from "../../../shared/checkpoint/zip-archive.ts";
import { buildZip, seededRandom } from "./build-torch-zip.ts";

const FIXTURE = "test/fixtures/golden/adapter/ip-adapter.bin";
const dir = mkdtempSync(join(tmpdir(), "zip-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): CheckpointErrorCode | "no error" | "not a CheckpointError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof CheckpointError ? err.code : "not a CheckpointError";
  }
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

const text = new TextEncoder().encode("hello, zip ".repeat(300));
const noise = randomBytes(5000, 3);
const inputs = [
  { name: "a/stored.txt", data: text },
  { name: "a/deflated.txt", data: text, deflate: true },
  { name: "a/noise.bin", data: noise, deflate: true },
  { name: "a/empty", data: new Uint8Array(0) },
];

describe("ZipArchive", () => {
  for (const zip64 of [false, true]) {
    it(`reads stored and deflated entries whole and by range${zip64 ? " (zip64 directory)" : ""}`, () => {
      const zip = ZipArchive.fromBytes(buildZip(inputs, { zip64 }));
      expect(zip.entries().map((e) => e.name)).toEqual(inputs.map((i) => i.name));
      for (const input of inputs) {
        const e = zip.entry(input.name)!;
        expect(e.uncompressedSize).toBe(input.data.byteLength);
        expect(e.method).toBe(input.deflate ? 8 : 0);
        expect(zip.read(input.name)).toEqual(input.data);
        if (input.data.byteLength > 100) expect(zip.readRange(input.name, 37, 50)).toEqual(input.data.subarray(37, 87));
      }
      expect(zip.entry("a/deflated.txt")!.compressedSize).toBeLessThan(text.byteLength);
    });
  }

  it("opens a real torch.save zip from disk and reads a record's range from its offset", () => {
    const zip = ZipArchive.open(FIXTURE);
    const names = zip.entries().map((e) => e.name);
    expect(names).toContain("ip-adapter/data.pkl");
    const whole = zip.read("ip-adapter/data/1");
    expect(zip.readRange("ip-adapter/data/1", 1000, 64)).toEqual(whole.subarray(1000, 1064));
    zip.close();
  });

  it("a zip cut short (its end record lost) is truncated, at any cut", () => {
    const bytes = readFileSync(FIXTURE);
    for (const keep of [10, 1000, bytes.byteLength >> 1, bytes.byteLength - 23, bytes.byteLength - 1]) {
      expect(codeOf(() => ZipArchive.fromBytes(bytes.subarray(0, keep)))).toBe("truncated");
    }
    const path = join(dir, "cut.bin");
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 100));
    expect(codeOf(() => ZipArchive.open(path))).toBe("truncated");
  });

  it("something that is not a zip at all is malformed", () => {
    expect(codeOf(() => ZipArchive.fromBytes(new TextEncoder().encode("just some text, no archive here")))).toBe("malformed");
    expect(codeOf(() => ZipArchive.fromBytes(new Uint8Array(0)))).toBe("malformed");
  });

  it("a directory that points past the file, or at garbage, is refused", () => {
    const good = buildZip(inputs);
    const eocd = good.byteLength - 22;
    const pastEnd = good.slice();
    new DataView(pastEnd.buffer).setUint32(eocd + 16, good.byteLength + 10, true);
    expect(codeOf(() => ZipArchive.fromBytes(pastEnd))).toBe("malformed");
    const lyingCount = good.slice();
    new DataView(lyingCount.buffer).setUint16(eocd + 10, 60000, true);
    expect(codeOf(() => ZipArchive.fromBytes(lyingCount))).toBe("malformed");
  });

  it("an unsupported compression method or an encrypted entry is malformed", () => {
    const good = buildZip([{ name: "x", data: text }]);
    const cdOffset = new DataView(good.buffer).getUint32(good.byteLength - 22 + 16, true);
    const bzip2 = good.slice();
    new DataView(bzip2.buffer).setUint16(cdOffset + 10, 12, true);
    expect(codeOf(() => ZipArchive.fromBytes(bzip2))).toBe("malformed");
    const encrypted = good.slice();
    new DataView(encrypted.buffer).setUint16(cdOffset + 8, 1, true);
    expect(codeOf(() => ZipArchive.fromBytes(encrypted))).toBe("malformed");
  });

  it("deflate data that does not inflate, or inflates to the wrong size, is malformed", () => {
    const good = buildZip([{ name: "x", data: text, deflate: true }]);
    const corrupt = good.slice();
    for (let i = 40; i < 60; i++) corrupt[i] = 0xff;
    expect(codeOf(() => ZipArchive.fromBytes(corrupt).read("x"))).toBe("malformed");
    const cdOffset = new DataView(good.buffer).getUint32(good.byteLength - 22 + 16, true);
    const wrongSize = good.slice();
    new DataView(wrongSize.buffer).setUint32(cdOffset + 24, text.byteLength - 1, true);
    expect(codeOf(() => ZipArchive.fromBytes(wrongSize).read("x"))).toBe("malformed");
  });

  it("content whose CRC-32 does not match the directory is malformed, stored or deflated", () => {
    for (const deflate of [false, true]) {
      const good = buildZip([{ name: "x", data: noise, deflate }]);
      const corrupt = good.slice();
      corrupt[30 + 1 + 2000] ^= 0x01; // one bit inside the entry's data (30-byte local header, 1-byte name)
      expect(codeOf(() => ZipArchive.fromBytes(good).read("x"))).toBe("no error");
      expect(codeOf(() => ZipArchive.fromBytes(corrupt).read("x"))).toBe("malformed");
    }
  });

  it("a range outside an entry, or an entry that does not exist, is refused", () => {
    const zip = ZipArchive.fromBytes(buildZip(inputs));
    expect(codeOf(() => zip.readRange("a/stored.txt", text.byteLength - 4, 8))).toBe("malformed");
    expect(codeOf(() => zip.readRange("a/stored.txt", -1, 2))).toBe("malformed");
    expect(codeOf(() => zip.read("a/nothing"))).toBe("malformed");
  });

  it("any corrupted byte gives a CheckpointError or readable entries, never another failure", () => {
    const good = buildZip(inputs);
    const rnd = seededRandom(11);
    for (let i = 0; i < 500; i++) {
      const bytes = good.slice();
      for (let k = 0; k < 3; k++) bytes[Math.floor(rnd() * bytes.byteLength)] = Math.floor(rnd() * 256);
      const outcome = codeOf(() => {
        const zip = ZipArchive.fromBytes(bytes);
        for (const e of zip.entries()) zip.read(e.name);
      });
      expect(outcome).not.toBe("not a CheckpointError");
    }
  });
});
