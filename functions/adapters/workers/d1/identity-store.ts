import { embeddingFromBytes, embeddingToBytes } from "../../../../shared/contract/embedding.ts";
import { openEmbedding, sealEmbedding, type EmbeddingCipher } from "../../../crypto/embedding-cipher.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";
import type { D1Like } from "./d1-like.ts";
import { IDENTITY_SUMMARY_COLUMNS, identityFromRow, identitySummaryFromRow, type IdentityRow } from "../../../stores/rows/identity-row.ts";
import { pageOf } from "../../../stores/page.ts";

/** D1 returns a BLOB as an array of byte values (an ArrayBuffer through some bindings). */
type Row = IdentityRow<number[] | ArrayBuffer>;

const blobOf = (r: Row): Uint8Array => (r.embedding instanceof ArrayBuffer ? new Uint8Array(r.embedding) : Uint8Array.from(r.embedding));

const fromRow = (r: Row, embedding: Uint8Array): IdentityRecord => identityFromRow(r, embeddingFromBytes(embedding));

/**
 * Identities in D1; (user_id, content_hash) is UNIQUE, so insert-or-get is one atomic statement plus
 * a read. With a cipher (the Worker passes one when the EMBEDDING_KEY secret is set) embeddings are
 * stored AES-256-GCM encrypted and bound to their row, as the SQLite store does; clear rows still read.
 */
export function createD1IdentityStore(db: D1Like, cipher?: EmbeddingCipher): IdentityStore {
  const seal = (r: IdentityRecord) => sealEmbedding(cipher, embeddingToBytes(r.embedding), r.userId, r.id);
  const open = async (r: Row): Promise<IdentityRecord> => fromRow(r, await openEmbedding(cipher, blobOf(r), r.user_id, r.id));
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
          await seal(r),
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
      return { record: await open(existing), inserted: false };
    },
    async get(userId, id) {
      const row = await db.prepare("SELECT * FROM identities WHERE id = ? AND user_id = ?").bind(id, userId).first<Row>();
      return row ? open(row) : undefined;
    },
    async findByContentHash(userId, contentHash) {
      const row = await byHash(userId, contentHash);
      return row ? open(row) : undefined;
    },
    async delete(userId, id) {
      const r = await db.prepare("DELETE FROM identities WHERE id = ? AND user_id = ?").bind(id, userId).run();
      return r.meta.changes === 1;
    },
    async list(userId, page) {
      // The embedding column is not read: a list never decrypts one.
      const statement = page.after
        ? db
            .prepare(
              `SELECT ${IDENTITY_SUMMARY_COLUMNS} FROM identities WHERE user_id = ? AND (created_ms, id) < (?, ?) ORDER BY created_ms DESC, id DESC LIMIT ?`,
            )
            .bind(userId, page.after.createdMs, page.after.id, page.limit + 1)
        : db.prepare(`SELECT ${IDENTITY_SUMMARY_COLUMNS} FROM identities WHERE user_id = ? ORDER BY created_ms DESC, id DESC LIMIT ?`).bind(userId, page.limit + 1);
      const { results } = await statement.all<Omit<Row, "embedding">>();
      return pageOf(results.map(identitySummaryFromRow), page.limit);
    },
  };
}
