/** The in-memory stores against the conformance suites every store implementation must pass. */
import { describe } from "vitest";
import {
  createMemoryApiKeyStore,
  createMemoryGenerationStore,
  createMemoryIdempotencyStore,
  createMemoryIdentityStore,
  createMemoryRateLimitStore,
  createMemoryResultImageStore,
} from "../../../functions/stores/memory/index.ts";
import {
  describeApiKeyStoreConformance,
  describeGenerationStoreConformance,
  describeIdempotencyStoreConformance,
  describeIdentityStoreConformance,
  describeRateLimitStoreConformance,
  describeResultImageStoreConformance,
} from "./conformance/index.ts";

describe("memory stores", () => {
  describeApiKeyStoreConformance(createMemoryApiKeyStore);
  describeIdentityStoreConformance(createMemoryIdentityStore);
  describeGenerationStoreConformance(createMemoryGenerationStore);
  describeIdempotencyStoreConformance(createMemoryIdempotencyStore);
  describeRateLimitStoreConformance(createMemoryRateLimitStore);
  describeResultImageStoreConformance(createMemoryResultImageStore);
});
