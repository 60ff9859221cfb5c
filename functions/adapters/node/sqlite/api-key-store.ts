import type { ApiKeyRecord, ApiKeyStore } from "../../../stores/api-key-store.ts";
import type { SqliteDatabase } from "./database.ts";

interface Row {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  requests_burst: number;
  requests_per_minute: number;
  cost_burst: number;
  cost_per_minute: number;
  max_in_flight?: number | null;
  webhook_secret?: string | null;
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

export function createSqliteApiKeyStore(db: SqliteDatabase): ApiKeyStore {
  const insert = db.prepare(
    `INSERT INTO api_keys (id, user_id, name, hash, requests_burst, requests_per_minute, cost_burst, cost_per_minute, max_in_flight, webhook_secret, created_ms, revoked_ms)
     VALUES (@id, @user_id, @name, @hash, @requests_burst, @requests_per_minute, @cost_burst, @cost_per_minute, @max_in_flight, @webhook_secret, @created_ms, @revoked_ms)`,
  );
  const byId = db.prepare<[string], Row>("SELECT * FROM api_keys WHERE id = ?");
  const all = db.prepare<[], Row>("SELECT * FROM api_keys ORDER BY created_ms, id");
  const byUser = db.prepare<[string], Row>("SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_ms, id");
  const revoke = db.prepare("UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
  const setSecret = db.prepare("UPDATE api_keys SET webhook_secret = ? WHERE id = ?");

  return {
    async insert(k) {
      insert.run({
        id: k.id,
        user_id: k.userId,
        name: k.name,
        hash: k.hash,
        requests_burst: k.limits.requestsBurst,
        requests_per_minute: k.limits.requestsPerMinute,
        cost_burst: k.limits.costBurst,
        cost_per_minute: k.limits.costPerMinute,
        max_in_flight: k.limits.maxInFlight ?? null,
        webhook_secret: k.webhookSecret ?? null,
        created_ms: k.createdMs,
        revoked_ms: k.revokedMs,
      });
    },
    async findById(id) {
      const row = byId.get(id);
      return row ? fromRow(row) : undefined;
    },
    async list(userId) {
      return (userId === undefined ? all.all() : byUser.all(userId)).map(fromRow);
    },
    async revoke(id, nowMs) {
      return revoke.run(nowMs, id).changes === 1;
    },
    async setWebhookSecret(id, secret) {
      return setSecret.run(secret, id).changes === 1;
    },
  };
}
