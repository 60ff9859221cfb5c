import { embeddingFromBytes, embeddingToBytes } from "../../../../shared/contract/embedding.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";
import { embeddingBinding, isEncryptedEmbedding, openEmbedding, sealEmbedding, type EmbeddingCipher } from "../../../crypto/embedding-cipher.ts";
import type { SqliteDatabase } from "./database.ts";
import { IDENTITY_SUMMARY_COLUMNS, identityFromRow as fromRow, identitySummaryFromRow, type IdentityRow } from "../../../stores/rows/identity-row.ts";
import { pageOf } from "../../../stores/page.ts";

type Row = IdentityRow<Buffer>;

/**
 * With a cipher (what createSqliteStores always passes), embeddings are stored AES-256-GCM
 * encrypted; rows written in clear before encryption existed are still read. Without one (store
 * conformance tests), in clear.
 */
export function createSqliteIdentityStore(db: SqliteDatabase, cipher?: EmbeddingCipher): IdentityStore {
  const seal = (r: IdentityRecord) => sealEmbedding(cipher, embeddingToBytes(r.embedding), r.userId, r.id);
  const open = async (r: Row): Promise<IdentityRecord> => {
    const blob = new Uint8Array(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength);
    return fromRow(r, embeddingFromBytes(await openEmbedding(cipher, blob, r.user_id, r.id)));
  };
  const insert = db.prepare(
    `INSERT INTO identities (id, user_id, content_hash, pack, embedding, kps, bbox, score, face_count, photo_count, image_width, image_height, created_ms)
     VALUES (@id, @user_id, @content_hash, @pack, @embedding, @kps, @bbox, @score, @face_count, @photo_count, @image_width, @image_height, @created_ms)
     ON CONFLICT (user_id, content_hash) DO NOTHING`,
  );
  const get = db.prepare<[string, string], Row>("SELECT * FROM identities WHERE id = ? AND user_id = ?");
  const byHash = db.prepare<[string, string], Row>("SELECT * FROM identities WHERE user_id = ? AND content_hash = ?");
  const del = db.prepare("DELETE FROM identities WHERE id = ? AND user_id = ?");
  // The embedding column is not read: a list never decrypts one.
  type SummaryRow = Omit<Row, "embedding">;
  const firstPage = db.prepare<[string, number], SummaryRow>(
    `SELECT ${IDENTITY_SUMMARY_COLUMNS} FROM identities WHERE user_id = ? ORDER BY created_ms DESC, id DESC LIMIT ?`,
  );
  const nextPage = db.prepare<[string, number, string, number], SummaryRow>(
    `SELECT ${IDENTITY_SUMMARY_COLUMNS} FROM identities WHERE user_id = ? AND (created_ms, id) < (?, ?) ORDER BY created_ms DESC, id DESC LIMIT ?`,
  );

  return {
    async insertOrGet(r) {
      const info = insert.run({
        id: r.id,
        user_id: r.userId,
        content_hash: r.contentHash,
        pack: r.pack,
        embedding: Buffer.from(await seal(r)),
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
      return { record: await open(existing), inserted: false };
    },
    async get(userId, id) {
      const row = get.get(id, userId);
      return row ? open(row) : undefined;
    },
    async findByContentHash(userId, contentHash) {
      const row = byHash.get(userId, contentHash);
      return row ? open(row) : undefined;
    },
    async delete(userId, id) {
      return del.run(id, userId).changes === 1;
    },
    async list(userId, page) {
      const rows = page.after
        ? nextPage.all(userId, page.after.createdMs, page.after.id, page.limit + 1)
        : firstPage.all(userId, page.limit + 1);
      return pageOf(rows.map(identitySummaryFromRow), page.limit);
    },
  };
}

/**
 * Key rotation: re-encrypts every embedding not written with the cipher's current key (clear rows
 * from before encryption included). The cipher must still hold the old keys (as previous keys).
 * Returns how many rows were rewritten.
 */
export async function reencryptSqliteEmbeddings(db: SqliteDatabase, cipher: EmbeddingCipher): Promise<number> {
  const rows = db.prepare<[], { id: string; user_id: string; embedding: Buffer }>("SELECT id, user_id, embedding FROM identities").all();
  const update = db.prepare("UPDATE identities SET embedding = ? WHERE id = ? AND embedding = ?");
  let n = 0;
  for (const r of rows) {
    const blob = new Uint8Array(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength);
    if (!(await cipher.isStale(blob))) continue;
    const binding = embeddingBinding(r.user_id, r.id);
    const plain = isEncryptedEmbedding(blob) ? await cipher.decrypt(blob, binding) : blob;
    // Compare-and-set: a row changed meanwhile is left for the next run.
    n += update.run(Buffer.from(await cipher.encrypt(plain, binding)), r.id, r.embedding).changes;
  }
  return n;
}
