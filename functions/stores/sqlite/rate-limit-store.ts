import type { RateLimitStore } from "../rate-limit-store.ts";
import { refundTokens, takeTokens, type BucketPolicy, type BucketState } from "../../rate-limit/token-bucket.ts";
import type { SqliteDatabase } from "./database.ts";

interface Row {
  tokens: number;
  updated_ms: number;
}

/** Buckets in SQLite; each decision is one IMMEDIATE transaction, exact across processes too. */
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

  const take = db.transaction((name: string, policy: BucketPolicy, amount: number, nowMs: number) => {
    const { state, decision } = takeTokens(load(name), policy, amount, nowMs);
    upsert.run(name, state.tokens, state.updatedMs);
    return decision;
  });
  const refund = db.transaction((name: string, policy: BucketPolicy, amount: number, nowMs: number) => {
    const state = refundTokens(load(name), policy, amount, nowMs);
    upsert.run(name, state.tokens, state.updatedMs);
  });

  return {
    async take(name, policy, amount, nowMs) {
      return take.immediate(name, policy, amount, nowMs);
    },
    async refund(name, policy, amount, nowMs) {
      refund.immediate(name, policy, amount, nowMs);
    },
  };
}
