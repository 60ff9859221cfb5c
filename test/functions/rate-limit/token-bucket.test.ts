import { describe, expect, it } from "vitest";
import { refundTokens, takeTokens } from "../../../functions/rate-limit/token-bucket.ts";

const policy = { capacity: 5, refillPerSecond: 1 };

describe("token bucket", () => {
  it("starts full, admits up to capacity, then refuses with the wait for the missing tokens", () => {
    let state;
    for (let i = 0; i < 5; i++) {
      const r = takeTokens(state, policy, 1, 0);
      expect(r.decision.allowed).toBe(true);
      expect(r.decision.remaining).toBe(4 - i);
      state = r.state;
    }
    const refused = takeTokens(state, policy, 1, 0);
    expect(refused.decision.allowed).toBe(false);
    expect(refused.decision.retryAfterSeconds).toBe(1);
    expect(refused.decision.resetSeconds).toBe(5);
    expect(takeTokens(state, policy, 3, 0).decision.retryAfterSeconds).toBe(3);
  });

  it("refills continuously up to capacity, and not on a clock going backwards", () => {
    const empty = { tokens: 0, updatedMs: 10_000 };
    expect(takeTokens(empty, policy, 1, 10_999).decision.allowed).toBe(false);
    expect(takeTokens(empty, policy, 1, 11_000).decision.allowed).toBe(true);
    expect(takeTokens(empty, policy, 1, 1_000_000).decision.remaining).toBe(4);
    expect(takeTokens(empty, policy, 1, 0).decision.allowed).toBe(false);
  });

  it("never admits more than capacity at once (retry: never)", () => {
    const r = takeTokens(undefined, policy, 6, 0);
    expect(r.decision.allowed).toBe(false);
    expect(r.decision.retryAfterSeconds).toBe(Infinity);
    expect(r.state.tokens).toBe(5);
  });

  it("refunds without exceeding capacity", () => {
    expect(refundTokens({ tokens: 1, updatedMs: 0 }, policy, 2, 0).tokens).toBe(3);
    expect(refundTokens({ tokens: 4, updatedMs: 0 }, policy, 10, 0).tokens).toBe(5);
  });
});
