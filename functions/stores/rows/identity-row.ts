/**
 * The identities table's row and its record, for every SQL store. The embedding column's type is
 * the driver's (a Buffer from better-sqlite3, bytes or an ArrayBuffer from D1); the store decodes
 * (and decrypts) it and hands the floats in.
 */
import type { FacePack } from "../../../shared/contract/limits.ts";
import type { IdentityRecord, IdentitySummary } from "../identity-store.ts";

export interface IdentityRow<Blob> {
  id: string;
  user_id: string;
  content_hash: string;
  pack: string;
  embedding: Blob;
  kps: string;
  bbox: string;
  score: number;
  face_count: number;
  photo_count: number;
  image_width: number;
  image_height: number;
  created_ms: number;
}

/** The columns a list reads: all but the embedding. */
export const IDENTITY_SUMMARY_COLUMNS =
  "id, user_id, content_hash, pack, kps, bbox, score, face_count, photo_count, image_width, image_height, created_ms";

export function identityFromRow(r: IdentityRow<unknown>, embedding: Float32Array): IdentityRecord {
  return { ...identitySummaryFromRow(r), embedding };
}

export function identitySummaryFromRow(r: Omit<IdentityRow<unknown>, "embedding">): IdentitySummary {
  return {
    id: r.id,
    userId: r.user_id,
    contentHash: r.content_hash,
    pack: r.pack as FacePack,
    kps: JSON.parse(r.kps) as IdentityRecord["kps"],
    bbox: JSON.parse(r.bbox) as IdentityRecord["bbox"],
    score: r.score,
    faceCount: r.face_count,
    photoCount: r.photo_count,
    imageWidth: r.image_width,
    imageHeight: r.image_height,
    createdMs: r.created_ms,
  };
}
