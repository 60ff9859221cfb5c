import type { IdempotencyBegin, IdempotencyStore } from "../../../stores/idempotency-store.ts";
import { heldIdempotencyKey, type IdempotencyRow } from "../../../stores/rows/idempotency-row.ts";
import type { SqliteDatabase } from "./database.ts";

type Row = IdempotencyRow & { created_ms: number };

export function createSqliteIdempotencyStore(db: SqliteDatabase): IdempotencyStore {
  const select = db.prepare<[string, string], Row>(
    "SELECT fingerprint, state, status, content_type, location, body, created_ms FROM idempotency_keys WHERE scope = ? AND key = ?",
  );
  const insert = db.prepare(
    "INSERT OR REPLACE INTO idempotency_keys (scope, key, fingerprint, state, created_ms) VALUES (?, ?, ?, 'pending', ?)",
  );
  const complete = db.prepare(
    "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, location = ?, body = ? WHERE scope = ? AND key = ?",
  );
  const release = db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'pending'");

  // One IMMEDIATE transaction: check-then-reserve cannot interleave, even across processes.
  const begin = db.transaction(
    (scope: string, key: string, fingerprint: string, nowMs: number, ttlMs: number): IdempotencyBegin => {
      const row = select.get(scope, key);
      if (row && nowMs - row.created_ms < ttlMs) return heldIdempotencyKey(row, fingerprint);
      insert.run(scope, key, fingerprint, nowMs);
      return { kind: "started" };
    },
  );

  return {
    async begin(scope, key, fingerprint, nowMs, ttlMs) {
      return begin.immediate(scope, key, fingerprint, nowMs, ttlMs);
    },
    async complete(scope, key, r) {
      complete.run(r.status, r.contentType, r.location, r.body, scope, key);
    },
    async release(scope, key) {
      release.run(scope, key);
    },
  };
}
