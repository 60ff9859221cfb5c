import type { ApiKeyRecord, ApiKeyStore } from "../api-key-store.ts";

/** Keys in one process's memory (tests, and a throwaway edge). */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const keys = new Map<string, ApiKeyRecord>();
  const byCreation = (a: ApiKeyRecord, b: ApiKeyRecord) => a.createdMs - b.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    async insert(record) {
      if (keys.has(record.id)) throw new Error(`an API key with id ${record.id} already exists`);
      keys.set(record.id, clone(record));
    },
    async findById(id) {
      const k = keys.get(id);
      return k ? clone(k) : undefined;
    },
    async list(userId) {
      return [...keys.values()].filter((k) => userId === undefined || k.userId === userId).sort(byCreation).map(clone);
    },
    async revoke(id, nowMs) {
      const k = keys.get(id);
      if (!k || k.revokedMs !== null) return false;
      keys.set(id, { ...k, revokedMs: nowMs });
      return true;
    },
    async setWebhookSecret(id, secret) {
      const k = keys.get(id);
      if (!k) return false;
      keys.set(id, { ...k, webhookSecret: secret });
      return true;
    },
  };
}

/** Callers get copies, as from a database: mutating one changes nothing stored. */
const clone = (k: ApiKeyRecord): ApiKeyRecord => ({ ...k, limits: { ...k.limits } });
