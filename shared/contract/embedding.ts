/**
 * A face embedding on the wire: base64 of 512 float32 little-endian (2 KB), raw (not L2-normalised),
 * as InstantID feeds it to the Resampler.
 */
import { z } from "zod";
import { decodeBase64, encodeBase64, isBase64 } from "./base64.ts";
import { EMBEDDING_DIM } from "./limits.ts";

const EMBEDDING_BYTES = EMBEDDING_DIM * 4;

export function encodeEmbedding(embedding: Float32Array): string {
  if (embedding.length !== EMBEDDING_DIM) {
    throw new RangeError(`embedding must have ${EMBEDDING_DIM} values, got ${embedding.length}`);
  }
  return encodeBase64(embeddingToBytes(embedding));
}

/** Returns undefined when the string is not base64 of 512 finite float32 LE. */
export function decodeEmbedding(b64: string): Float32Array | undefined {
  if (!isBase64(b64)) return undefined;
  const bytes = decodeBase64(b64);
  if (bytes.length !== EMBEDDING_BYTES) return undefined;
  const out = embeddingFromBytes(bytes);
  for (const v of out) if (!Number.isFinite(v)) return undefined;
  return out;
}

/** Little-endian bytes regardless of the host's byte order (also the SQLite BLOB layout). */
export function embeddingToBytes(embedding: Float32Array): Uint8Array {
  const out = new Uint8Array(embedding.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < embedding.length; i++) view.setFloat32(i * 4, embedding[i], true);
  return out;
}

export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new RangeError("embedding bytes must be a multiple of 4");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export const EmbeddingBase64Schema = z
  .string()
  .refine((s) => decodeEmbedding(s) !== undefined, {
    message: `must be base64 of ${EMBEDDING_DIM} finite float32 little-endian values`,
  })
  .meta({ description: `Base64 of ${EMBEDDING_DIM} float32 little-endian values (raw ArcFace embedding).` });
