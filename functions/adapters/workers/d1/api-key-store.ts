import type { ApiKeyRecord, ApiKeyStore } from "../../../stores/api-key-store.ts";
import type { D1Like } from "./d1-like.ts";

interface Row {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  requests_burst: number;
  requests_per_minute: number;
  cost_burst: number;
  cost_per_minute: number;
  max_in_flight: number | null;
  webhook_secret: string | null;
  created_ms: number;
  revoked_ms: number | null;
}

const fromRow = (r: Row): ApiKeyRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  hash: r.hash,
  limits: {
    requestsBurst: r.requests_burst,
    requestsPerMinute: r.requests_per_minute,
    costBurst: r.cost_burst,
    costPerMinute: r.cost_per_minute,
    ...(r.max_in_flight != null ? { maxInFlight: r.max_in_flight } : {}),
  },
  createdMs: r.created_ms,
  revokedMs: r.revoked_ms,
  webhookSecret: r.webhook_secret ?? null,
});

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
