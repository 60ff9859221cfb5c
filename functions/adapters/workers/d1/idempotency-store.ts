import type { IdempotencyStore } from "../../../stores/idempotency-store.ts";
import { heldIdempotencyKey, type IdempotencyRow } from "../../../stores/rows/idempotency-row.ts";

/**
 * Idempotency keys in D1. begin() is one batch (a D1 batch is a transaction): drop the expired
 * reservation, reserve if free, read what holds the key. Of concurrent begins exactly one inserts.
 */
export function createD1IdempotencyStore(db: D1Database): IdempotencyStore {
  return {
    async begin(scope, key, fingerprint, nowMs, ttlMs) {
      const [, inserted, held] = await db.batch<IdempotencyRow>([
        db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_ms <= ?").bind(scope, key, nowMs - ttlMs),
        db
          .prepare(
            `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_ms) VALUES (?, ?, ?, 'pending', ?)
             ON CONFLICT (scope, key) DO NOTHING`,
          )
          .bind(scope, key, fingerprint, nowMs),
        db
          .prepare("SELECT fingerprint, state, status, content_type, location, body FROM idempotency_keys WHERE scope = ? AND key = ?")
          .bind(scope, key),
      ]);
      if (inserted.meta.changes === 1) return { kind: "started" };
      const row = held.results[0];
      if (!row) return { kind: "in_progress" };
      return heldIdempotencyKey(row, fingerprint);
    },
    async complete(scope, key, r) {
      await db
        .prepare("UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, location = ?, body = ? WHERE scope = ? AND key = ?")
        .bind(r.status, r.contentType, r.location, r.body, scope, key)
        .run();
    },
    async release(scope, key) {
      await db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'pending'").bind(scope, key).run();
    },
  };
}
