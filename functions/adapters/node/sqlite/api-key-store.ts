import type { ApiKeyStore } from "../../../stores/api-key-store.ts";
import type { SqliteDatabase } from "./database.ts";
import { apiKeyFromRow as fromRow, type ApiKeyRow as Row } from "../../../stores/rows/api-key-row.ts";


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
