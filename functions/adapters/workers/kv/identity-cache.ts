/**
 * A KV copy of identities (embedding included) in front of D1: a generation request for a hot
 * identity reads KV (served from the colo's cache) instead of the D1 primary. Entries expire after
 * `ttlSeconds` and are deleted when the identity is deleted; KV is eventually consistent across
 * locations, so another location may serve a deleted identity for up to the TTL (at most 60 s of
 * KV's own propagation when it had cached the key) — hence a short default TTL.
 */
import { decodeEmbedding, encodeEmbedding } from "../../../../shared/contract/embedding.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";

type CachedIdentity = Omit<IdentityRecord, "embedding"> & { readonly embedding: string };

const keyOf = (id: string) => `identity:${id}`;

export function createKvCachedIdentityStore(inner: IdentityStore, kv: KVNamespace, ttlSeconds: number): IdentityStore {
  const ttl = Math.max(60, Math.floor(ttlSeconds));
  const put = async (r: IdentityRecord) => {
    const value: CachedIdentity = { ...r, embedding: encodeEmbedding(r.embedding) };
    await kv.put(keyOf(r.id), JSON.stringify(value), { expirationTtl: ttl });
  };
  return {
    async insertOrGet(record) {
      const result = await inner.insertOrGet(record);
      await put(result.record);
      return result;
    },
    async get(userId, id) {
      const hit = await kv.get<CachedIdentity>(keyOf(id), { type: "json", cacheTtl: ttl });
      if (hit) {
        const embedding = decodeEmbedding(hit.embedding);
        // Keyed by id alone: the owner check keeps users apart exactly as the store does.
        if (embedding) return hit.userId === userId ? { ...hit, embedding } : undefined;
      }
      const record = await inner.get(userId, id);
      if (record) await put(record);
      return record;
    },
    findByContentHash(userId, contentHash) {
      return inner.findByContentHash(userId, contentHash);
    },
    async delete(userId, id) {
      const deleted = await inner.delete(userId, id);
      if (deleted) await kv.delete(keyOf(id));
      return deleted;
    },
  };
}
