/**
 * Several photos of one person: their raw embeddings averaged element-wise (InstantID's choice for
 * multi-image identities). Only meaningful within one face pack, so mixed packs are refused.
 */
import type { FacePack } from "../../../shared/contract/limits.ts";

export class MixedEmbeddingPacksError extends Error {
  readonly code = "embedding_pack_mismatch";
  constructor(packs: readonly string[]) {
    super(`embeddings come from different face packs (${[...new Set(packs)].join(", ")})`);
    this.name = "MixedEmbeddingPacksError";
  }
}

export function averageEmbeddings(items: readonly { embedding: Float32Array; pack: FacePack }[]): {
  embedding: Float32Array;
  pack: FacePack;
} {
  if (items.length === 0) throw new RangeError("nothing to average");
  const pack = items[0].pack;
  if (items.some((i) => i.pack !== pack)) throw new MixedEmbeddingPacksError(items.map((i) => i.pack));
  const dim = items[0].embedding.length;
  if (items.some((i) => i.embedding.length !== dim)) throw new RangeError("embeddings differ in length");
  // Accumulate in float64, round once.
  const sum = new Float64Array(dim);
  for (const { embedding } of items) for (let d = 0; d < dim; d++) sum[d] += embedding[d];
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) out[d] = sum[d] / items.length;
  return { embedding: out, pack };
}
