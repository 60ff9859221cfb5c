import type { RateLimitStore } from "../../../stores/rate-limit-store.ts";
import { refundTokens, takeTokens, type BucketState } from "../../../rate-limit/token-bucket.ts";
import type { SqliteDatabase } from "./database.ts";
import { writeBatchOf } from "./write-batch.ts";

interface Row {
  tokens: number;
  updated_ms: number;
}

/**
 * Buckets in SQLite; each decision reads and writes its bucket inside an IMMEDIATE transaction
 * (the connection's group commit, see write-batch.ts), so it is exact across processes too.
 */
export function createSqliteRateLimitStore(db: SqliteDatabase): RateLimitStore {
  const select = db.prepare<[string], Row>("SELECT tokens, updated_ms FROM rate_buckets WHERE name = ?");
  const upsert = db.prepare(
    `INSERT INTO rate_buckets (name, tokens, updated_ms) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms`,
  );
  const load = (name: string): BucketState | undefined => {
    const r = select.get(name);
    return r ? { tokens: r.tokens, updatedMs: r.updated_ms } : undefined;
  };

  const batch = writeBatchOf(db);

  return {
    take(name, policy, amount, nowMs) {
      return batch.run(() => {
        const { state, decision } = takeTokens(load(name), policy, amount, nowMs);
        upsert.run(name, state.tokens, state.updatedMs);
        return decision;
      });
    },
    refund(name, policy, amount, nowMs) {
      return batch.run(() => {
        const state = refundTokens(load(name), policy, amount, nowMs);
        upsert.run(name, state.tokens, state.updatedMs);
      });
    },
  };
}
