/**
 * An in-process LRU of API-key records in front of another ApiKeyStore: an authenticated request
 * reads no database. Revocation still takes effect at once: revoke() through this store evicts,
 * and before every lookup `changedElsewhere` says whether another process (the keys CLI) may have
 * changed keys since the last look, in which case the whole cache is dropped. For SQLite that
 * probe is PRAGMA data_version (sqliteChangeProbe), one cheap statement instead of a row read.
 * Unknown key ids are not cached, so guessed ids cannot fill the cache.
 */
import { LruCache } from "../../../shared/cache/lru-cache.ts";
import type { ApiKeyRecord, ApiKeyStore } from "../api-key-store.ts";

export interface CachedApiKeyStoreOptions {
  readonly maxEntries: number;
  /** True when the keys may have changed outside this store since the previous call. */
  readonly changedElsewhere: () => boolean;
}

export function createCachedApiKeyStore(inner: ApiKeyStore, opts: CachedApiKeyStoreOptions): ApiKeyStore {
  let byId = new LruCache<string, ApiKeyRecord>(opts.maxEntries);
  return {
    insert(record) {
      return inner.insert(record);
    },
    async findById(id) {
      if (opts.changedElsewhere()) byId = new LruCache(opts.maxEntries);
      const hit = byId.get(id);
      if (hit) return hit;
      const record = await inner.findById(id);
      if (record) byId.set(id, record);
      return record;
    },
    list(userId) {
      return inner.list(userId);
    },
    async revoke(id, nowMs) {
      byId.delete(id);
      const revoked = await inner.revoke(id, nowMs);
      // A lookup racing the revoke may have cached the row as it was.
      byId.delete(id);
      return revoked;
    },
    async setWebhookSecret(id, secret) {
      // Evicted before and after, as revoke: a lookup must not keep signing with the old secret.
      byId.delete(id);
      const changed = await inner.setWebhookSecret(id, secret);
      byId.delete(id);
      return changed;
    },
  };
}
