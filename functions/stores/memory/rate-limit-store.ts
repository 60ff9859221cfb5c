import type { RateLimitStore } from "../rate-limit-store.ts";
import { refundTokens, takeTokens, type BucketState } from "../../rate-limit/token-bucket.ts";

/**
 * Buckets in one process's memory: each decision runs synchronously on the single JS thread,
 * so concurrent requests cannot interleave inside it. Not shared between processes.
 */
export function createMemoryRateLimitStore(): RateLimitStore {
  const buckets = new Map<string, BucketState>();
  return {
    async take(name, policy, amount, nowMs) {
      const { state, decision } = takeTokens(buckets.get(name), policy, amount, nowMs);
      buckets.set(name, state);
      return decision;
    },
    async refund(name, policy, amount, nowMs) {
      buckets.set(name, refundTokens(buckets.get(name), policy, amount, nowMs));
    },
  };
}
