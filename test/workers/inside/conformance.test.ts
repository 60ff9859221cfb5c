/**
 * The Workers stores against the same conformance suites as the memory and SQLite stores, inside
 * workerd: D1 (api keys, identities with and without the KV copy in front, generations,
 * idempotency), the per-user Durable Object buckets, R2 images. Each store starts empty: every
 * binding's data is wiped and the migrations applied again.
 */
import { applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe } from "vitest";
import { createD1ApiKeyStore } from "../../../functions/adapters/workers/d1/api-key-store.ts";
import { createD1GenerationStore } from "../../../functions/adapters/workers/d1/generation-store.ts";
import { createD1IdempotencyStore } from "../../../functions/adapters/workers/d1/idempotency-store.ts";
import { createD1IdentityStore } from "../../../functions/adapters/workers/d1/identity-store.ts";
import { createDurableRateLimitStore } from "../../../functions/adapters/workers/durable-objects/user-limiter.ts";
import { createKvCachedIdentityStore } from "../../../functions/adapters/workers/kv/identity-cache.ts";
import { createR2ResultImageStore } from "../../../functions/adapters/workers/r2/result-image-store.ts";
import { createEmbeddingCipher } from "../../../functions/crypto/embedding-cipher.ts";
import {
  describeApiKeyStoreConformance,
  describeGenerationStoreConformance,
  describeIdempotencyStoreConformance,
  describeIdentityStoreConformance,
  describeRateLimitStoreConformance,
  describeResultImageStoreConformance,
} from "../../functions/stores/conformance/index.ts";

async function fresh<T>(make: () => T): Promise<T> {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  return make();
}

describe("D1 api keys", () => describeApiKeyStoreConformance(() => fresh(() => createD1ApiKeyStore(env.DB))));
describe("D1 identities", () => describeIdentityStoreConformance(() => fresh(() => createD1IdentityStore(env.DB))));
describe("D1 identities behind the KV cache", () =>
  describeIdentityStoreConformance(() => fresh(() => createKvCachedIdentityStore(createD1IdentityStore(env.DB), env.IDENTITY_CACHE, 120))));
const cipher = createEmbeddingCipher(crypto.getRandomValues(new Uint8Array(32)));
describe("D1 identities encrypted, behind the encrypted KV cache", () =>
  describeIdentityStoreConformance(() =>
    fresh(() => createKvCachedIdentityStore(createD1IdentityStore(env.DB, cipher), env.IDENTITY_CACHE, 120, cipher)),
  ));
describe("D1 generations", () => describeGenerationStoreConformance(() => fresh(() => createD1GenerationStore(env.DB))));
describe("D1 idempotency", () => describeIdempotencyStoreConformance(() => fresh(() => createD1IdempotencyStore(env.DB))));
describe("Durable Object token buckets", () =>
  describeRateLimitStoreConformance(() => fresh(() => createDurableRateLimitStore(env.USER_LIMITER))));
describe("R2 result images", () => describeResultImageStoreConformance(() => fresh(() => createR2ResultImageStore(env.IMAGES))));
