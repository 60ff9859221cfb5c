import { embeddingFromBytes, embeddingToBytes } from "../../../../shared/contract/embedding.ts";
import type { FacePack } from "../../../../shared/contract/limits.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";
import type { SqliteDatabase } from "./database.ts";

interface Row {
  id: string;
  user_id: string;
  content_hash: string;
  pack: string;
  embedding: Buffer;
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
  embedding: embeddingFromBytes(r.embedding),
  kps: JSON.parse(r.kps) as IdentityRecord["kps"],
  bbox: JSON.parse(r.bbox) as IdentityRecord["bbox"],
  score: r.score,
  faceCount: r.face_count,
  photoCount: r.photo_count,
  imageWidth: r.image_width,
  imageHeight: r.image_height,
  createdMs: r.created_ms,
});

export function createSqliteIdentityStore(db: SqliteDatabase): IdentityStore {
  const insert = db.prepare(
    `INSERT INTO identities (id, user_id, content_hash, pack, embedding, kps, bbox, score, face_count, photo_count, image_width, image_height, created_ms)
     VALUES (@id, @user_id, @content_hash, @pack, @embedding, @kps, @bbox, @score, @face_count, @photo_count, @image_width, @image_height, @created_ms)
     ON CONFLICT (user_id, content_hash) DO NOTHING`,
  );
  const get = db.prepare<[string, string], Row>("SELECT * FROM identities WHERE id = ? AND user_id = ?");
  const byHash = db.prepare<[string, string], Row>("SELECT * FROM identities WHERE user_id = ? AND content_hash = ?");
  const del = db.prepare("DELETE FROM identities WHERE id = ? AND user_id = ?");

  return {
    async insertOrGet(r) {
      const info = insert.run({
        id: r.id,
        user_id: r.userId,
        content_hash: r.contentHash,
        pack: r.pack,
        embedding: Buffer.from(embeddingToBytes(r.embedding)),
        kps: JSON.stringify(r.kps),
        bbox: JSON.stringify(r.bbox),
        score: r.score,
        face_count: r.faceCount,
        photo_count: r.photoCount,
        image_width: r.imageWidth,
        image_height: r.imageHeight,
        created_ms: r.createdMs,
      });
      if (info.changes === 1) return { record: r, inserted: true };
      const existing = byHash.get(r.userId, r.contentHash);
      if (!existing) throw new Error("identity insert conflicted but no row holds its content hash");
      return { record: fromRow(existing), inserted: false };
    },
    async get(userId, id) {
      const row = get.get(id, userId);
      return row ? fromRow(row) : undefined;
    },
    async findByContentHash(userId, contentHash) {
      const row = byHash.get(userId, contentHash);
      return row ? fromRow(row) : undefined;
    },
    async delete(userId, id) {
      return del.run(id, userId).changes === 1;
    },
  };
}
