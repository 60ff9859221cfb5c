import { embeddingFromBytes, embeddingToBytes } from "../../../../shared/contract/embedding.ts";
import type { FacePack } from "../../../../shared/contract/limits.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";
import type { D1Like } from "./d1-like.ts";

interface Row {
  id: string;
  user_id: string;
  content_hash: string;
  pack: string;
  /** D1 returns a BLOB as an array of byte values (an ArrayBuffer through some bindings). */
  embedding: number[] | ArrayBuffer;
  kps: string;
  bbox: string;
  score: number;
  face_count: number;
  photo_count: number;
  image_width: number;
  image_height: number;
  created_ms: number;
}

const fromRow = (r: Row): IdentityRecord => ({
  id: r.id,
  userId: r.user_id,
  contentHash: r.content_hash,
  pack: r.pack as FacePack,
  embedding: embeddingFromBytes(r.embedding instanceof ArrayBuffer ? new Uint8Array(r.embedding) : Uint8Array.from(r.embedding)),
  kps: JSON.parse(r.kps) as IdentityRecord["kps"],
  bbox: JSON.parse(r.bbox) as IdentityRecord["bbox"],
  score: r.score,
  faceCount: r.face_count,
  photoCount: r.photo_count,
  imageWidth: r.image_width,
  imageHeight: r.image_height,
  createdMs: r.created_ms,
});

/** Identities in D1; (user_id, content_hash) is UNIQUE, so insert-or-get is one atomic statement plus a read. */
export function createD1IdentityStore(db: D1Like): IdentityStore {
  const byHash = (userId: string, contentHash: string) =>
    db.prepare("SELECT * FROM identities WHERE user_id = ? AND content_hash = ?").bind(userId, contentHash).first<Row>();
  return {
    async insertOrGet(r) {
      const info = await db
        .prepare(
          `INSERT INTO identities (id, user_id, content_hash, pack, embedding, kps, bbox, score, face_count, photo_count, image_width, image_height, created_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, content_hash) DO NOTHING`,
        )
        .bind(
          r.id,
          r.userId,
          r.contentHash,
          r.pack,
          embeddingToBytes(r.embedding),
          JSON.stringify(r.kps),
          JSON.stringify(r.bbox),
          r.score,
          r.faceCount,
          r.photoCount,
          r.imageWidth,
          r.imageHeight,
          r.createdMs,
        )
        .run();
      if (info.meta.changes === 1) return { record: r, inserted: true };
      const existing = await byHash(r.userId, r.contentHash);
      if (!existing) throw new Error("identity insert conflicted but no row holds its content hash");
      return { record: fromRow(existing), inserted: false };
    },
    async get(userId, id) {
      const row = await db.prepare("SELECT * FROM identities WHERE id = ? AND user_id = ?").bind(id, userId).first<Row>();
      return row ? fromRow(row) : undefined;
    },
    async findByContentHash(userId, contentHash) {
      const row = await byHash(userId, contentHash);
      return row ? fromRow(row) : undefined;
    },
    async delete(userId, id) {
      const r = await db.prepare("DELETE FROM identities WHERE id = ? AND user_id = ?").bind(id, userId).run();
      return r.meta.changes === 1;
    },
  };
}
