import { describe, expect, it } from "vitest";
import { decodeEmbedding, EmbeddingBase64Schema, embeddingFromBytes, embeddingToBytes, encodeEmbedding } from "../../../shared/contract/embedding.ts";
import { encodeBase64 } from "../../../shared/contract/base64.ts";

const sample = () => Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 3.5);

describe("embedding wire format", () => {
  it("round-trips 512 float32 through base64 exactly", () => {
    const e = sample();
    const b64 = encodeEmbedding(e);
    expect(b64).toHaveLength(2732);
    expect(decodeEmbedding(b64)).toEqual(e);
  });

  it("is little-endian regardless of the host", () => {
    const bytes = embeddingToBytes(Float32Array.of(1));
    const view = new DataView(bytes.buffer);
    expect(view.getFloat32(0, true)).toBe(1);
    expect(embeddingFromBytes(bytes)[0]).toBe(1);
  });

  it("rejects the wrong length, non-finite values and non-base64", () => {
    expect(() => encodeEmbedding(new Float32Array(511))).toThrow(RangeError);
    expect(decodeEmbedding(encodeBase64(new Uint8Array(2044)))).toBeUndefined();
    const withNaN = sample();
    withNaN[3] = NaN;
    expect(decodeEmbedding(encodeBase64(embeddingToBytes(withNaN)))).toBeUndefined();
    expect(decodeEmbedding("not base64!")).toBeUndefined();
    expect(EmbeddingBase64Schema.safeParse("AAAA").success).toBe(false);
    expect(EmbeddingBase64Schema.safeParse(encodeEmbedding(sample())).success).toBe(true);
  });
});
