import { describe, expect, it } from "vitest";
import { averageEmbeddings, MixedEmbeddingPacksError } from "../../../../functions/services/identities/average-embeddings.ts";

describe("averageEmbeddings", () => {
  it("averages element-wise", () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(3, 2, -3);
    expect(averageEmbeddings([{ embedding: a, pack: "lite" }, { embedding: b, pack: "lite" }])).toEqual({
      embedding: Float32Array.of(2, 2, 0),
      pack: "lite",
    });
  });

  it("refuses embeddings from different packs", () => {
    expect(() =>
      averageEmbeddings([
        { embedding: Float32Array.of(1), pack: "lite" },
        { embedding: Float32Array.of(1), pack: "antelopev2" },
      ]),
    ).toThrow(MixedEmbeddingPacksError);
  });
});
