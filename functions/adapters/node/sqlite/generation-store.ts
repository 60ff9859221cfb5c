import type { GenerationOutcome, GenerationStore } from "../../../stores/generation-store.ts";
import {
  generationFromRows,
  generationPageQuery,
  generationsFromPageRows,
  type GenerationImageRow as ImageRow,
  type GenerationRow as Row,
} from "../../../stores/rows/generation-row.ts";
import { pageOf } from "../../../stores/page.ts";
import type { Statement } from "better-sqlite3";
import type { SqliteDatabase } from "./database.ts";
import { writeBatchOf } from "./write-batch.ts";


export function createSqliteGenerationStore(db: SqliteDatabase): GenerationStore {
  // Positional parameters: binding an object by name costs a property lookup per column.
  const insert = db.prepare(
    `INSERT INTO generations (id, user_id, identity_id, pose_identity_id, status, settings, progress_step, progress_total, error_code, error_message, created_ms, finished_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare<[string, string], Row>("SELECT * FROM generations WHERE id = ? AND user_id = ?");
  const idsByIdentity = db.prepare<[string, string, string], { id: string }>(
    "SELECT id FROM generations WHERE user_id = ? AND (identity_id = ? OR pose_identity_id = ?) ORDER BY created_ms, id",
  );
  const images = db.prepare<[string], ImageRow>(
    "SELECT idx, mime_type, width, height, seed, file_key FROM generation_images WHERE generation_id = ? ORDER BY idx",
  );
  const addImage = db.prepare(
    `INSERT OR REPLACE INTO generation_images (generation_id, idx, mime_type, width, height, seed, file_key)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const finishRow = db.prepare(
    `UPDATE generations SET status = ?, error_code = ?, error_message = ?, finished_ms = ?,
       progress_step = COALESCE(?, progress_step)
     WHERE id = ? AND status IN ('queued', 'running')`,
  );
  // Row and images in one savepoint of the connection's group commit (write-batch.ts).
  const finish = (id: string, o: GenerationOutcome, nowMs: number): boolean => {
    const changed =
      finishRow.run(o.status, o.errorCode ?? null, o.errorMessage ?? null, nowMs, o.progressStep ?? null, id).changes === 1;
    if (changed) {
      for (const i of o.images ?? []) addImage.run(id, i.index, i.mimeType, i.width, i.height, i.seed, i.fileKey);
    }
    return changed;
  };
  const batch = writeBatchOf(db);
  const deleteImages = db.prepare("DELETE FROM generation_images WHERE generation_id = ?");
  const deleteRow = db.prepare("DELETE FROM generations WHERE id = ? AND user_id = ?");
  const failUnfinished = db.prepare(
    `UPDATE generations SET status = 'failed', error_code = ?, error_message = ?, finished_ms = ?
     WHERE status IN ('queued', 'running')`,
  );

  // The page queries, one prepared pair per filter shape (a handful).
  type PageImageRow = ImageRow & { generation_id: string };
  type Params = (string | number)[];
  const pageStatements = new Map<string, { rows: Statement<Params, Row>; images: Statement<Params, PageImageRow> }>();
  const pageStatementsOf = (tail: string) => {
    let s = pageStatements.get(tail);
    if (!s) {
      s = {
        rows: db.prepare<Params, Row>(`SELECT * FROM generations ${tail}`),
        images: db.prepare<Params, PageImageRow>(
          `SELECT generation_id, idx, mime_type, width, height, seed, file_key FROM generation_images
           WHERE generation_id IN (SELECT id FROM generations ${tail})`,
        ),
      };
      pageStatements.set(tail, s);
    }
    return s;
  };

  return {
    async insert(g) {
      const settings = JSON.stringify(g.settings);
      await batch.run(() => {
        insert.run(
          g.id,
          g.userId,
          g.identityId,
          g.poseIdentityId,
          g.status,
          settings,
          g.progressStep,
          g.progressTotal,
          g.errorCode,
          g.errorMessage,
          g.createdMs,
          g.finishedMs,
        );
      });
    },
    async get(userId, id) {
      const r = get.get(id, userId);
      if (!r) return undefined;
      return generationFromRows(r, images.all(r.id));
    },
    finish(id, o, nowMs) {
      return batch.run(() => finish(id, o, nowMs));
    },
    delete(userId, id) {
      return batch.run(() => {
        if (deleteRow.run(id, userId).changes !== 1) return false;
        deleteImages.run(id);
        return true;
      });
    },
    async listIdsByIdentity(userId, identityId) {
      return idsByIdentity.all(userId, identityId, identityId).map((r) => r.id);
    },
    async list(userId, filter, page) {
      const { tail, params: readonlyParams } = generationPageQuery(userId, filter, page);
      const params = [...readonlyParams];
      const s = pageStatementsOf(tail);
      // Both reads in one transaction: a generation finishing between them cannot lose its images.
      const read = db.transaction(() => ({ rows: s.rows.all(...params), images: s.images.all(...params) }));
      const { rows, images } = read();
      return pageOf(generationsFromPageRows(rows, images), page.limit);
    },
    async failUnfinished(code, message, nowMs) {
      return failUnfinished.run(code, message, nowMs).changes;
    },
  };
}
