import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from "../idempotency-store.ts";

interface Entry {
  readonly fingerprint: string;
  readonly createdMs: number;
  response: StoredResponse | null;
}

/** Idempotency keys in one process's memory; begin() checks and reserves in one synchronous step. */
export function createMemoryIdempotencyStore(): IdempotencyStore {
  const entries = new Map<string, Entry>();
  const k = (scope: string, key: string) => `${scope}\n${key}`;
  return {
    async begin(scope, key, fingerprint, nowMs, ttlMs): Promise<IdempotencyBegin> {
      const e = entries.get(k(scope, key));
      if (e && nowMs - e.createdMs < ttlMs) {
        if (e.fingerprint !== fingerprint) return { kind: "mismatch" };
        if (!e.response) return { kind: "in_progress" };
        return { kind: "replay", response: { ...e.response } };
      }
      entries.set(k(scope, key), { fingerprint, createdMs: nowMs, response: null });
      return { kind: "started" };
    },
    async complete(scope, key, response) {
      const e = entries.get(k(scope, key));
      if (e) e.response = { ...response };
    },
    async release(scope, key) {
      const e = entries.get(k(scope, key));
      if (e && !e.response) entries.delete(k(scope, key));
    },
  };
}
