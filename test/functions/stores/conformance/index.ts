/** The store conformance suites: every implementation (memory, SQLite, D1 / Durable Objects) must pass them. */
export { describeApiKeyStoreConformance, apiKeyRecord, withoutEmptyFields } from "./api-key-store.ts";
export { describeGenerationStoreConformance, generationRecord } from "./generation-store.ts";
export { describeIdempotencyStoreConformance } from "./idempotency-store.ts";
export { describeIdentityStoreConformance, identityRecord } from "./identity-store.ts";
export { describeRateLimitStoreConformance } from "./rate-limit-store.ts";
export { describeResultImageStoreConformance } from "./result-image-store.ts";
export type { MakeStore } from "./make-store.ts";
