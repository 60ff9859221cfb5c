/**
 * The identities table's row and its record, for every SQL store. The embedding column's type is
 * the driver's (a Buffer from better-sqlite3, bytes or an ArrayBuffer from D1); the store decodes
 * (and decrypts) it and hands the floats in.
 */
import type { FacePack } from "../../../shared/contract/limits.ts";
import type { IdentityRecord } from "../identity-store.ts";

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

export function identityFromRow(r: IdentityRow<unknown>, embedding: Float32Array): IdentityRecord {
  return {
    id: r.id,
    userId: r.user_id,
    contentHash: r.content_hash,
    pack: r.pack as FacePack,
    embedding,
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
