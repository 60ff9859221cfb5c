import type { ApiKeyStore } from "../../../stores/api-key-store.ts";
import type { D1Like } from "./d1-like.ts";
import { apiKeyFromRow as fromRow, type ApiKeyRow as Row } from "../../../stores/rows/api-key-row.ts";


/** API keys in D1 (same table as the SQLite adapter; schema in migrations/). No cache: a revoke is seen at once. */
export function createD1ApiKeyStore(db: D1Like): ApiKeyStore {
  return {
    async insert(k) {
      await db
        .prepare(
          `INSERT INTO api_keys (id, user_id, name, hash, requests_burst, requests_per_minute, cost_burst, cost_per_minute, max_in_flight, webhook_secret, created_ms, revoked_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(
          k.id,
          k.userId,
          k.name,
          k.hash,
          k.limits.requestsBurst,
          k.limits.requestsPerMinute,
          k.limits.costBurst,
          k.limits.costPerMinute,
          k.limits.maxInFlight ?? null,
          k.webhookSecret ?? null,
          k.createdMs,
          k.revokedMs,
        )
        .run();
    },
    async findById(id) {
      const row = await db.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Row>();
      return row ? fromRow(row) : undefined;
    },
    async list(userId) {
      const stmt =
        userId === undefined
          ? db.prepare("SELECT * FROM api_keys ORDER BY created_ms, id")
          : db.prepare("SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_ms, id").bind(userId);
      return (await stmt.all<Row>()).results.map(fromRow);
    },
    async setWebhookSecret(id, secret) {
      const r = await db.prepare("UPDATE api_keys SET webhook_secret = ? WHERE id = ?").bind(secret, id).run();
      return r.meta.changes === 1;
    },
    async revoke(id, nowMs) {
      const r = await db.prepare("UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL").bind(nowMs, id).run();
      return r.meta.changes === 1;
    },
  };
}
