/**
 * A face analysed elsewhere: on the user's device (the web app runs shared/face in the browser) or by
 * an app's own copy of the same networks. The body carries the 2 KB embedding and the keypoints
 * instead of the photo, so the photo never leaves the device. Checked here as strictly as the
 * edge's own analyser output: the exact length, finite values, keypoints inside the image.
 */
import type { z } from "zod";
import { decodeBase64, isBase64 } from "../../../shared/contract/base64.ts";
import { embeddingFromBytes } from "../../../shared/contract/embedding.ts";
import { EMBEDDING_DIM } from "../../../shared/contract/limits.ts";
import { fieldErrorsOf } from "../../../shared/contract/problem.ts";
import type { Point } from "../../../shared/face/face-analyser.ts";
import { invalidRequest } from "../../errors/api-error.ts";
import { CreateIdentityFaceJsonSchema } from "../../schemas/identity.ts";

export interface PrecomputedFace {
  /** The face pack the client says made the embedding (checked against the edge's by the service). */
  readonly embeddingModel: string;
  /** EMBEDDING_DIM raw float32 values, as the pack's recogniser produced them. */
  readonly embedding: Float32Array;
  /** The embedding's bytes as sent (little-endian float32): what deduplication hashes. */
  readonly embeddingBytes: Uint8Array;
  readonly kps: readonly [Point, Point, Point, Point, Point];
  readonly bbox: readonly [number, number, number, number];
  readonly score: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
}

/** A precomputed face is ~3 KB of JSON; a larger JSON body is photos, and is not parsed twice. */
export const MAX_PRECOMPUTED_FACE_BYTES = 64 * 1024;

/**
 * The body as a precomputed face, or null when it is not one (not JSON, too large to be one, not
 * parseable, or without a top-level `face`: then it is read as photos, which reports its own errors).
 */
export function readPrecomputedFace(contentType: string | undefined, body: Uint8Array): PrecomputedFace | null {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" || body.byteLength > MAX_PRECOMPUTED_FACE_BYTES) return null;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || !("face" in json)) return null;
  const parsed = CreateIdentityFaceJsonSchema.safeParse(json);
  if (!parsed.success) throw invalidRequest(fieldErrorsOf(parsed.error as z.ZodError));
  const { face, embeddingModel } = parsed.data;

  if (!isBase64(face.embedding)) throw invalidRequest([{ path: "face.embedding", message: "not base64" }]);
  const bytes = decodeBase64(face.embedding);
  if (bytes.byteLength !== EMBEDDING_DIM * 4) {
    throw invalidRequest([
      { path: "face.embedding", message: `expected ${EMBEDDING_DIM * 4} bytes (${EMBEDDING_DIM} little-endian float32), got ${bytes.byteLength}` },
    ]);
  }
  const embedding = embeddingFromBytes(bytes);
  const bad = embedding.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw invalidRequest([{ path: "face.embedding", message: `value ${bad} is not finite (${embedding[bad]})` }]);
  const { imageWidth: w, imageHeight: h } = face;
  const outside = face.kps.flatMap(([x, y], i) => (x >= 0 && x <= w && y >= 0 && y <= h ? [] : [{ path: `face.kps.${i}`, message: `(${x}, ${y}) is outside the ${w}x${h} image` }]));
  if (outside.length) throw invalidRequest(outside);
  const kps = face.kps.map(([x, y]) => [x, y] as const) as unknown as PrecomputedFace["kps"];
  return {
    embeddingModel,
    embedding,
    embeddingBytes: bytes,
    kps,
    bbox: face.bbox,
    score: face.score ?? 1,
    imageWidth: w,
    imageHeight: h,
  };
}
