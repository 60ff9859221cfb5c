/**
 * Group commit for one SQLite connection. Writes called during one event-loop turn (concurrent
 * requests: their rate-limit takes, generation rows, outcomes) run together in one IMMEDIATE
 * transaction at the end of the turn, each inside its own savepoint, so a write that throws is
 * rolled back alone and rejects alone. Every caller's promise settles only after the COMMIT: an
 * awaited write is as durable, atomic and visible as with a transaction of its own, and decisions
 * stay exact (the writes run one after another under the write lock, across processes too). What
 * is shared is the per-commit cost: locks, the WAL frames of pages several writes touch, and
 * checkpoints (a commit each was a quarter of the edge's event-loop time under load).
 */
import type { SqliteDatabase } from "./database.ts";

export interface WriteBatch {
  /** Runs `write` (synchronous SQLite work) in the next group commit; settles after it commits. */
  run<T>(write: () => T): Promise<T>;
}

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const batches = new WeakMap<SqliteDatabase, WriteBatch>();

/** The connection's one batch, so that every store on it commits together. */
export function writeBatchOf(db: SqliteDatabase): WriteBatch {
  let batch = batches.get(db);
  if (!batch) {
    batch = createWriteBatch(db);
    batches.set(db, batch);
  }
  return batch;
}

function createWriteBatch(db: SqliteDatabase): WriteBatch {
  let queue: Pending[] = [];
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const savepoint = db.prepare("SAVEPOINT batched_write");
  const release = db.prepare("RELEASE batched_write");
  const rollbackTo = db.prepare("ROLLBACK TO batched_write");

  /** Runs the writes inside the open transaction; throws when SQLite rolled all of it back. */
  const runAll = (writes: readonly Pending[]): Outcome[] =>
    writes.map((p): Outcome => {
      savepoint.run();
      try {
        const value = p.write();
        release.run();
        return { ok: true, value };
      } catch (error) {
        // Some errors (disk full, I/O) end the whole transaction: the batch's earlier writes are
        // gone too, and the rest must not run outside a transaction.
        if (!db.inTransaction) throw error;
        rollbackTo.run();
        release.run();
        return { ok: false, error };
      }
    });

  const flush = () => {
    const writes = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      begin.run();
      try {
        outcomes = runAll(writes);
        commit.run();
      } catch (error) {
        if (db.inTransaction) rollback.run();
        throw error;
      }
    } catch (error) {
      // Busy past the timeout, an I/O error, a closed database: nothing of this batch was stored.
      for (const p of writes) p.reject(error);
      return;
    }
    outcomes.forEach((o, i) => (o.ok ? writes[i].resolve(o.value) : writes[i].reject(o.error)));
  };

  return {
    run<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        // setImmediate runs after the poll phase: every request whose bytes arrived this turn
        // has queued its write by then.
        if (queue.length === 0) setImmediate(flush);
        queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}
