/**
 * An in-process LRU of identities (embedding included) in front of another IdentityStore: a
 * cached identity's generation request reads no database. Deletion evicts before it returns.
 */
import { LruCache } from "../../../shared/cache/lru-cache.ts";
import type { IdentityRecord, IdentityStore } from "../identity-store.ts";

export function createCachedIdentityStore(inner: IdentityStore, maxEntries: number): IdentityStore {
  const byId = new LruCache<string, IdentityRecord>(maxEntries);
  return {
    async insertOrGet(record) {
      const result = await inner.insertOrGet(record);
      byId.set(result.record.id, result.record);
      return result;
    },
    async get(userId, id) {
      const hit = byId.get(id);
      // The cache is keyed by id alone; the owner check keeps users apart exactly as the store does.
      if (hit) return hit.userId === userId ? hit : undefined;
      const record = await inner.get(userId, id);
      if (record) byId.set(id, record);
      return record;
    },
    findByContentHash(userId, contentHash) {
      return inner.findByContentHash(userId, contentHash);
    },
    async delete(userId, id) {
      const hit = byId.get(id);
      if (hit && hit.userId === userId) byId.delete(id);
      return inner.delete(userId, id);
    },
    // Pages come from the store: the cache holds whichever identities were read last, not a user's set.
    list(userId, page) {
      return inner.list(userId, page);
    },
  };
}
