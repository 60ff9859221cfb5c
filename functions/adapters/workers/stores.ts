/** The Worker's stores: D1 (with a KV copy of identities in front), R2 images, per-user Durable Object buckets. */
import { embeddingCipherFromText, type EmbeddingCipher } from "../../crypto/embedding-cipher.ts";
import type { Stores } from "../../stores/stores.ts";
import { createD1ApiKeyStore } from "./d1/api-key-store.ts";
import { createD1GenerationStore } from "./d1/generation-store.ts";
import { createD1IdempotencyStore } from "./d1/idempotency-store.ts";
import { createD1IdentityStore } from "./d1/identity-store.ts";
import { createDurableRateLimitStore } from "./durable-objects/user-limiter.ts";
import type { WorkerEnv } from "./env.ts";
import { createKvCachedIdentityStore } from "./kv/identity-cache.ts";
import { createR2ResultImageStore } from "./r2/result-image-store.ts";

export const DEFAULT_IDENTITY_CACHE_TTL_S = 3600;

/** EMBEDDING_KEY (secret; 64 hex digits or base64 of 32 bytes) and EMBEDDING_KEY_PREVIOUS (comma-separated), as on Node. */
export function embeddingCipherOf(env: WorkerEnv): EmbeddingCipher | undefined {
  if (!env.EMBEDDING_KEY?.trim()) return undefined;
  return embeddingCipherFromText(env.EMBEDDING_KEY, env.EMBEDDING_KEY_PREVIOUS);
}

export function createWorkerStores(env: WorkerEnv): Stores {
  const cipher = embeddingCipherOf(env);
  return {
    apiKeys: createD1ApiKeyStore(env.DB),
    identities: createKvCachedIdentityStore(
      createD1IdentityStore(env.DB, cipher),
      env.IDENTITY_CACHE,
      Number(env.IDENTITY_CACHE_TTL_S ?? DEFAULT_IDENTITY_CACHE_TTL_S),
      cipher,
    ),
    generations: createD1GenerationStore(env.DB),
    idempotency: createD1IdempotencyStore(env.DB),
    rateLimits: createDurableRateLimitStore(env.USER_LIMITER),
    images: createR2ResultImageStore(env.IMAGES),
  };
}
