/**
 * A KV copy of identities (embedding included) in front of D1: a generation request for a hot
 * identity reads KV (served from the colo's cache) instead of the D1 primary. Entries expire after
 * `ttlSeconds` and are deleted when the identity is deleted; KV is eventually consistent across
 * locations, so another location may serve a deleted identity for up to the TTL (at most 60 s of
 * KV's own propagation when it had cached the key) — hence a short default TTL.
 */
import { decodeBase64, encodeBase64 } from "../../../../shared/contract/base64.ts";
import { decodeEmbedding, embeddingFromBytes, embeddingToBytes, encodeEmbedding } from "../../../../shared/contract/embedding.ts";
import { embeddingBinding, type EmbeddingCipher } from "../../../crypto/embedding-cipher.ts";
import type { IdentityRecord, IdentityStore } from "../../../stores/identity-store.ts";

type CachedIdentity = Omit<IdentityRecord, "embedding"> & { readonly embedding: string };

const keyOf = (id: string) => `identity:${id}`;

/** With a cipher the KV copy's embedding is encrypted like D1's (bound to the identity), base64. */
export function createKvCachedIdentityStore(inner: IdentityStore, kv: KVNamespace, ttlSeconds: number, cipher?: EmbeddingCipher): IdentityStore {
  const ttl = Math.max(60, Math.floor(ttlSeconds));
  const seal = async (r: IdentityRecord): Promise<string> =>
    cipher ? encodeBase64(await cipher.encrypt(embeddingToBytes(r.embedding), embeddingBinding(r.userId, r.id))) : encodeEmbedding(r.embedding);
  const open = async (c: CachedIdentity): Promise<Float32Array | undefined> => {
    if (!cipher) return decodeEmbedding(c.embedding);
    try {
      return embeddingFromBytes(await cipher.decrypt(decodeBase64(c.embedding), embeddingBinding(c.userId, c.id)));
    } catch {
      return undefined; // written before the key changed: read D1 instead
    }
  };
  const put = async (r: IdentityRecord) => {
    const value: CachedIdentity = { ...r, embedding: await seal(r) };
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
        const embedding = await open(hit);
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
    // Pages come from D1: KV holds single identities by id, and a list needs no embedding.
    list(userId, page) {
      return inner.list(userId, page);
    },
  };
}
