import { describe, expect, it } from "vitest";
import type { BucketPolicy } from "../../../../functions/rate-limit/token-bucket.ts";
import type { RateLimitStore } from "../../../../functions/stores/rate-limit-store.ts";
import { settleAll, type MakeStore } from "./make-store.ts";

/** 100 tokens, 1 a second: in the tests' fixed instants nothing refills unless the clock is moved. */
const POLICY: BucketPolicy = { capacity: 100, refillPerSecond: 1 };
const T0 = 1_700_000_000_000;

export function describeRateLimitStoreConformance(makeStore: MakeStore<RateLimitStore>): void {
  describe("RateLimitStore conformance", () => {
    it("admits exactly the bucket's capacity of 200 concurrent takes, and tells the rest when to retry", async () => {
      const store = await makeStore();
      const { values, errors } = await settleAll(Array.from({ length: 200 }, () => store.take("user:alice:requests", POLICY, 1, T0)));
      expect(errors).toEqual([]);
      const allowed = values.filter((d) => d.allowed);
      expect(allowed).toHaveLength(100);
      // Each admitted take saw a distinct count left: no two read the same bucket state.
      expect(new Set(allowed.map((d) => d.remaining)).size).toBe(100);
      for (const d of values.filter((v) => !v.allowed)) expect(d).toMatchObject({ remaining: 0, limit: 100, retryAfterSeconds: 1 });
    });

    it("exact under concurrency for multi-token takes too (costs)", async () => {
      const store = await makeStore();
      const { values } = await settleAll(Array.from({ length: 200 }, (_, i) => store.take("user:alice:cost", POLICY, i % 2 === 0 ? 3 : 7, T0)));
      const spent = values.reduce((sum, d, i) => sum + (d.allowed ? (i % 2 === 0 ? 3 : 7) : 0), 0);
      expect(spent).toBeLessThanOrEqual(100);
      // Whatever order they ran in, the bucket ends with less than the largest take left.
      expect((await store.take("user:alice:cost", POLICY, 0, T0)).remaining).toBe(100 - spent);
      expect(100 - spent).toBeLessThan(7);
    });

    it("keeps buckets apart", async () => {
      const store = await makeStore();
      expect((await store.take("user:alice:requests", POLICY, 100, T0)).allowed).toBe(true);
      expect((await store.take("user:alice:requests", POLICY, 1, T0)).allowed).toBe(false);
      expect(await store.take("user:bob:requests", POLICY, 1, T0)).toMatchObject({ allowed: true, remaining: 99 });
    });

    it("refills with time and refunds, never above capacity", async () => {
      const store = await makeStore();
      await store.take("b", POLICY, 100, T0);
      expect((await store.take("b", POLICY, 5, T0 + 4_000)).allowed).toBe(false);
      expect(await store.take("b", POLICY, 5, T0 + 5_000)).toMatchObject({ allowed: true, remaining: 0 });
      await store.refund("b", POLICY, 30, T0 + 5_000);
      expect(await store.take("b", POLICY, 30, T0 + 5_000)).toMatchObject({ allowed: true, remaining: 0 });
      await store.refund("b", POLICY, 500, T0 + 5_000);
      expect(await store.take("b", POLICY, 0, T0 + 5_000)).toMatchObject({ allowed: true, remaining: 100 });
    });

    it("refuses a take larger than the capacity without spending anything", async () => {
      const store = await makeStore();
      expect(await store.take("b", POLICY, 101, T0)).toMatchObject({ allowed: false, retryAfterSeconds: Infinity });
      expect(await store.take("b", POLICY, 100, T0)).toMatchObject({ allowed: true, remaining: 0 });
    });
  });
}
