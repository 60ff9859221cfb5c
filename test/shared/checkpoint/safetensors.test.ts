import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError, type CheckpointErrorCode } from "../../../shared/checkpoint/checkpoint-error.ts";
import { encodeSafetensors, SafetensorsFile, writeSafetensors } from "../../../shared/checkpoint/safetensors.ts";
import { bf16ArrayToFloat32, float32ToBf16Array, float32ToHalfArray, halfArrayToFloat32 } from "../../../shared/tensor/float16.ts";
import type { Tensor } from "../../../shared/tensor/tensor.ts";
import { bytesOf, seededRandom } from "./build-torch-zip.ts";

const dir = mkdtempSync(join(tmpdir(), "safetensors-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomFloats(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (rnd() - 0.5) * 8);
}

/** One tensor of each dtype the brief names, with values that exercise signs and large integers. */
function sampleTensors(): Record<string, Tensor> {
  const f = randomFloats(24, 1);
  return {
    "w.f32": { dtype: "float32", shape: [2, 3, 4], data: f },
    "w.f16": { dtype: "float16", shape: [4, 6], data: float32ToHalfArray(f) },
    "w.bf16": { dtype: "bfloat16", shape: [24], data: float32ToBf16Array(f) },
    "ids.i64": { dtype: "int64", shape: [3], data: BigInt64Array.from([-(2n ** 62n), 0n, 2n ** 62n + 7n]) },
    scalar: { dtype: "float32", shape: [], data: Float32Array.of(3.25) },
    empty: { dtype: "float32", shape: [0, 5], data: new Float32Array(0) },
  };
}

/** A safetensors file with a hand-written header, for the malformed cases encodeSafetensors never produces. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

function codeOf(fn: () => unknown): CheckpointErrorCode | "no error" | "not a CheckpointError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof CheckpointError ? err.code : "not a CheckpointError";
  }
}

describe("safetensors round trip", () => {
  it("reads back every tensor bit for bit, F32/F16/BF16/I64, from memory and from a file", () => {
    const tensors = sampleTensors();
    const path = join(dir, "round-trip.safetensors");
    writeSafetensors(path, tensors, { format: "pt" });
    const fromFile = SafetensorsFile.open(path);
    for (const file of [SafetensorsFile.fromBytes(encodeSafetensors(tensors, { format: "pt" })), fromFile]) {
      expect(file.names()).toEqual(Object.keys(tensors));
      expect(file.metadata).toEqual({ format: "pt" });
      for (const [name, t] of Object.entries(tensors)) {
        const back = file.read(name);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(bytesOf(back.data)).toEqual(bytesOf(t.data));
      }
    }
    fromFile.close();
  });

  it("widens F16, BF16 and I64 to float32 with the same values the conversions give", () => {
    const tensors = sampleTensors();
    const file = SafetensorsFile.fromBytes(encodeSafetensors(tensors));
    expect(file.readFloat32("w.f16").data).toEqual(halfArrayToFloat32(tensors["w.f16"]!.data as Uint16Array));
    expect(file.readFloat32("w.bf16").data).toEqual(bf16ArrayToFloat32(tensors["w.bf16"]!.data as Uint16Array));
    expect([...file.readFloat32("ids.i64").data]).toEqual([...(tensors["ids.i64"]!.data as BigInt64Array)].map((v) => Math.fround(Number(v))));
    expect(file.readFloat32("w.f32").data).toEqual(tensors["w.f32"]!.data);
  });

  it("keeps tensor data 8-byte aligned even when names are not ASCII", () => {
    const bytes = encodeSafetensors({ "größe.ß": { dtype: "int64", shape: [2], data: BigInt64Array.of(1n, -1n) } });
    const file = SafetensorsFile.fromBytes(bytes);
    expect(file.info("größe.ß")!.byteOffset % 8).toBe(0);
    expect([...(file.read("größe.ß").data as BigInt64Array)]).toEqual([1n, -1n]);
  });

  it("refuses to encode data that does not fill the shape", () => {
    expect(codeOf(() => encodeSafetensors({ bad: { dtype: "float32", shape: [3], data: new Float32Array(2) } }))).toBe("shape_mismatch");
  });
});

describe("safetensors errors", () => {
  const good = encodeSafetensors(sampleTensors());
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));

  it("a file shorter than the 8-byte length is truncated", () => {
    expect(codeOf(() => SafetensorsFile.fromBytes(good.subarray(0, 5)))).toBe("truncated");
    expect(codeOf(() => SafetensorsFile.fromBytes(new Uint8Array(0)))).toBe("truncated");
  });

  it("a file cut inside the header is truncated", () => {
    expect(codeOf(() => SafetensorsFile.fromBytes(good.subarray(0, 8 + Math.floor(headerLength / 2))))).toBe("truncated");
  });

  it("a file cut inside the data is truncated, from memory and on disk", () => {
    const cut = good.subarray(0, good.byteLength - 1);
    expect(codeOf(() => SafetensorsFile.fromBytes(cut))).toBe("truncated");
    const path = join(dir, "cut.safetensors");
    writeFileSync(path, cut);
    expect(codeOf(() => SafetensorsFile.open(path))).toBe("truncated");
  });

  it("a header that is not JSON, or not a JSON object, is malformed", () => {
    expect(codeOf(() => SafetensorsFile.fromBytes(rawFile('{"a": {"dtype": "F32",')))).toBe("malformed");
    expect(codeOf(() => SafetensorsFile.fromBytes(rawFile("[1, 2]")))).toBe("malformed");
    const notUtf8 = rawFile("{}     ");
    notUtf8[9] = 0xff;
    expect(codeOf(() => SafetensorsFile.fromBytes(notUtf8))).toBe("malformed");
  });

  it("an implausible header length is malformed, before anything is allocated", () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(codeOf(() => SafetensorsFile.fromBytes(bytes))).toBe("malformed");
  });

  it("bad data_offsets are malformed (reversed, wrong length, not integers) or truncated (past the end)", () => {
    const data = new Uint8Array(16);
    const at = (offsets: unknown) => () => SafetensorsFile.fromBytes(rawFile({ t: { dtype: "F32", shape: [2], data_offsets: offsets } }, data));
    expect(codeOf(at([8, 0]))).toBe("malformed");
    expect(codeOf(at([0, 12]))).toBe("malformed");
    expect(codeOf(at([0.5, 8.5]))).toBe("malformed");
    expect(codeOf(at([-8, 0]))).toBe("malformed");
    expect(codeOf(at([0]))).toBe("malformed");
    expect(codeOf(at([16, 24]))).toBe("truncated");
    expect(codeOf(at([0, 8]))).toBe("no error");
  });

  it("a missing or invalid shape is malformed", () => {
    expect(codeOf(() => SafetensorsFile.fromBytes(rawFile({ t: { dtype: "F32", data_offsets: [0, 0] } })))).toBe("malformed");
    expect(codeOf(() => SafetensorsFile.fromBytes(rawFile({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } })))).toBe("malformed");
  });

  it("an unknown dtype is unsupported_dtype and names the tensor, even one that is an Object method name", () => {
    for (const dtype of ["F8_E4M3", "toString", "constructor"]) {
      let err: unknown;
      try {
        SafetensorsFile.fromBytes(rawFile({ "odd.tensor": { dtype, shape: [1], data_offsets: [0, 1] } }, new Uint8Array(8)));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).code).toBe("unsupported_dtype");
      expect((err as CheckpointError).tensor).toBe("odd.tensor");
      expect((err as CheckpointError).message).toContain(dtype);
    }
  });

  it("a missing tensor is reported by its name", () => {
    const file = SafetensorsFile.fromBytes(good, "model.safetensors");
    let err: unknown;
    try {
      file.read("down_blocks.9.nothing.weight");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe("missing_tensor");
    expect((err as CheckpointError).tensor).toBe("down_blocks.9.nothing.weight");
    expect((err as CheckpointError).message).toContain("down_blocks.9.nothing.weight");
    expect((err as CheckpointError).message).toContain("model.safetensors");
  });

  it("any single corrupted header byte gives a CheckpointError or a readable file, never another failure", () => {
    const rnd = seededRandom(7);
    for (let i = 0; i < 400; i++) {
      const bytes = good.slice();
      const at = Math.floor(rnd() * (8 + headerLength));
      bytes[at] = Math.floor(rnd() * 256);
      const outcome = codeOf(() => {
        const f = SafetensorsFile.fromBytes(bytes);
        for (const name of f.names()) f.readFloat32(name);
      });
      expect(outcome).not.toBe("not a CheckpointError");
    }
  });
});
