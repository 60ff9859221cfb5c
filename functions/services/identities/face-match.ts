/**
 * Photos of one identity must show one person: InstantID averages their embeddings, and an average
 * of different people is nobody. Each photo's embedding is compared (cosine) with the mean
 * direction of the other photos'; below the face pack's threshold the photo does not match.
 *
 * Thresholds, per face pack (cosine similarity; embeddings are L2-normalised for the comparison only):
 * - antelopev2 (ArcFace glintr100): 0.2. InsightFace's usual reading of this model's cosine scores
 *   is "below ~0.2: different people, above ~0.28: likely the same". Not measured in this repository
 *   (the pack is not in CI); lower it if real users' multi-photo identities are refused.
 * - lite (faceplugin MobileFaceNet-class model): 0.0. Measured on test/fixtures/faces: variants of
 *   one photo (mirrored, re-compressed, downscaled and brightened) scored 0.057 to 0.83 against each
 *   other, different people -0.19 to 0.33. The lite embedder separates people poorly, so its
 *   threshold only refuses clearly different faces; use antelopev2 where this check matters.
 */
import type { FacePack } from "../../../shared/contract/limits.ts";

export const IDENTITY_MATCH_THRESHOLDS: Readonly<Record<FacePack, number>> = {
  antelopev2: 0.2,
  lite: 0.0,
};

export interface PhotoMismatch {
  /** The photo that matches the others least. */
  readonly photoIndex: number;
  readonly similarity: number;
  readonly threshold: number;
}

function normalised(v: Float32Array): Float64Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const out = new Float64Array(v.length);
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/** The least-matching photo when it falls below the pack's threshold; undefined for one photo or a match. */
export function findMismatchedPhoto(embeddings: readonly Float32Array[], pack: FacePack): PhotoMismatch | undefined {
  if (embeddings.length < 2) return undefined;
  const threshold = IDENTITY_MATCH_THRESHOLDS[pack];
  const units = embeddings.map(normalised);
  const dim = units[0]!.length;
  const total = new Float64Array(dim);
  for (const u of units) for (let d = 0; d < dim; d++) total[d] += u[d]!;
  let worst: PhotoMismatch | undefined;
  for (const [i, u] of units.entries()) {
    // Cosine between this photo and the sum of the others.
    let dot = 0;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const other = total[d]! - u[d]!;
      dot += u[d]! * other;
      norm += other * other;
    }
    const similarity = norm > 0 ? dot / Math.sqrt(norm) : 0;
    if (!worst || similarity < worst.similarity) worst = { photoIndex: i, similarity, threshold };
  }
  return worst && worst.similarity < threshold ? worst : undefined;
}
