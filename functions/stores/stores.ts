import type { ApiKeyStore } from "./api-key-store.ts";
import type { GenerationStore } from "./generation-store.ts";
import type { IdempotencyStore } from "./idempotency-store.ts";
import type { IdentityStore } from "./identity-store.ts";
import type { RateLimitStore } from "./rate-limit-store.ts";
import type { ResultImageStore } from "./result-image-store.ts";

/** Everything the core persists, each behind its own interface. */
export interface Stores {
  readonly apiKeys: ApiKeyStore;
  readonly identities: IdentityStore;
  readonly generations: GenerationStore;
  readonly idempotency: IdempotencyStore;
  readonly rateLimits: RateLimitStore;
  readonly images: ResultImageStore;
}
