import type { GenerationStore } from "../../../stores/generation-store.ts";
import {
  generationFromRows,
  generationPageQuery,
  generationsFromPageRows,
  type GenerationImageRow as ImageRow,
  type GenerationRow as Row,
} from "../../../stores/rows/generation-row.ts";
import { pageOf } from "../../../stores/page.ts";

/** Generations in D1: the row when created, then its outcome and images in one batch (a transaction). */
export function createD1GenerationStore(db: D1Database): GenerationStore {
  return {
    async insert(g) {
      await db
        .prepare(
          `INSERT INTO generations (id, user_id, identity_id, pose_identity_id, status, settings, progress_step, progress_total, error_code, error_message, created_ms, finished_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(
          g.id,
          g.userId,
          g.identityId,
          g.poseIdentityId,
          g.status,
          JSON.stringify(g.settings),
          g.progressStep,
          g.progressTotal,
          g.errorCode,
          g.errorMessage,
          g.createdMs,
          g.finishedMs,
        )
        .run();
    },
    async get(userId, id) {
      const [rows, images] = await db.batch([
        db.prepare("SELECT * FROM generations WHERE id = ? AND user_id = ?").bind(id, userId),
        db
          .prepare(
            `SELECT i.idx, i.mime_type, i.width, i.height, i.seed, i.file_key FROM generation_images i
             JOIN generations g ON g.id = i.generation_id WHERE g.id = ? AND g.user_id = ? ORDER BY i.idx`,
          )
          .bind(id, userId),
      ]);
      const r = (rows.results as Row[])[0];
      if (!r) return undefined;
      return generationFromRows(r, (images.results as ImageRow[]));
    },
    async finish(id, o, nowMs) {
      // One transaction. The images are written only when this call's UPDATE changed the row:
      // changes() is the row count of the previous statement, the UPDATE for the first image and
      // the previous image's INSERT (1 when it was written) for each next one.
      const images = o.images ?? [];
      const results = await db.batch([
        db
          .prepare(
            `UPDATE generations SET status = ?, error_code = ?, error_message = ?, finished_ms = ?,
               progress_step = COALESCE(?, progress_step)
             WHERE id = ? AND status IN ('queued', 'running')`,
          )
          .bind(o.status, o.errorCode ?? null, o.errorMessage ?? null, nowMs, o.progressStep ?? null, id),
        ...images.map((i) =>
          db
            .prepare(
              `INSERT OR REPLACE INTO generation_images (generation_id, idx, mime_type, width, height, seed, file_key)
               SELECT ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`,
            )
            .bind(id, i.index, i.mimeType, i.width, i.height, i.seed, i.fileKey),
        ),
      ]);
      return results[0].meta.changes === 1;
    },
    async delete(userId, id) {
      // One transaction; the image rows go only when the user's row did (changes() of the DELETE before).
      const [row] = await db.batch([
        db.prepare("DELETE FROM generations WHERE id = ? AND user_id = ?").bind(id, userId),
        db.prepare("DELETE FROM generation_images WHERE generation_id = ? AND changes() = 1").bind(id),
      ]);
      return row.meta.changes === 1;
    },
    async listIdsByIdentity(userId, identityId) {
      const r = await db
        .prepare("SELECT id FROM generations WHERE user_id = ? AND (identity_id = ? OR pose_identity_id = ?) ORDER BY created_ms, id")
        .bind(userId, identityId, identityId)
        .all<{ id: string }>();
      return r.results.map((row) => row.id);
    },
    async list(userId, filter, page) {
      const { tail, params } = generationPageQuery(userId, filter, page);
      // One batch (a transaction): the rows and exactly their images.
      const [rows, images] = await db.batch([
        db.prepare(`SELECT * FROM generations ${tail}`).bind(...params),
        db
          .prepare(
            `SELECT generation_id, idx, mime_type, width, height, seed, file_key FROM generation_images
             WHERE generation_id IN (SELECT id FROM generations ${tail})`,
          )
          .bind(...params),
      ]);
      return pageOf(generationsFromPageRows(rows.results as Row[], images.results as (ImageRow & { generation_id: string })[]), page.limit);
    },
    async failUnfinished(code, message, nowMs) {
      const r = await db
        .prepare(
          `UPDATE generations SET status = 'failed', error_code = ?, error_message = ?, finished_ms = ?
           WHERE status IN ('queued', 'running')`,
        )
        .bind(code, message, nowMs)
        .run();
      return r.meta.changes;
    },
  };
}
