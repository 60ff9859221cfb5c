import type { Stores } from "../stores.ts";
import { createMemoryApiKeyStore } from "./api-key-store.ts";
import { createMemoryGenerationStore } from "./generation-store.ts";
import { createMemoryIdempotencyStore } from "./idempotency-store.ts";
import { createMemoryIdentityStore } from "./identity-store.ts";
import { createMemoryRateLimitStore } from "./rate-limit-store.ts";
import { createMemoryResultImageStore } from "./result-image-store.ts";

export {
  createMemoryApiKeyStore,
  createMemoryGenerationStore,
  createMemoryIdempotencyStore,
  createMemoryIdentityStore,
  createMemoryRateLimitStore,
  createMemoryResultImageStore,
};

/** Every store in this process's memory: nothing survives it (tests, a throwaway edge). */
export function createMemoryStores(): Stores {
  return {
    apiKeys: createMemoryApiKeyStore(),
    identities: createMemoryIdentityStore(),
    generations: createMemoryGenerationStore(),
    idempotency: createMemoryIdempotencyStore(),
    rateLimits: createMemoryRateLimitStore(),
    images: createMemoryResultImageStore(),
  };
}
