/**
 * Token-bucket arithmetic, free of storage: a bucket holds up to `capacity` tokens and refills
 * continuously at `refillPerSecond`. Stores call takeTokens inside one atomic step.
 */

export interface BucketPolicy {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export interface BucketState {
  readonly tokens: number;
  readonly updatedMs: number;
}

export interface BucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  readonly limit: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** Seconds until `amount` tokens are available; 0 when allowed; Infinity when amount > capacity. */
  readonly retryAfterSeconds: number;
}

export function refill(state: BucketState | undefined, policy: BucketPolicy, nowMs: number): number {
  if (!state) return policy.capacity;
  // A clock that moved backwards refills nothing rather than draining.
  const elapsedS = Math.max(0, nowMs - state.updatedMs) / 1000;
  return Math.min(policy.capacity, state.tokens + elapsedS * policy.refillPerSecond);
}

export function takeTokens(
  state: BucketState | undefined,
  policy: BucketPolicy,
  amount: number,
  nowMs: number,
): { state: BucketState; decision: BucketDecision } {
  const available = refill(state, policy, nowMs);
  const allowed = amount <= available;
  const tokens = allowed ? available - amount : available;
  const rate = policy.refillPerSecond;
  const retryAfterSeconds = allowed
    ? 0
    : amount > policy.capacity || rate <= 0
      ? Infinity
      : Math.ceil((amount - tokens) / rate);
  return {
    state: { tokens, updatedMs: nowMs },
    decision: {
      allowed,
      remaining: Math.floor(tokens),
      limit: policy.capacity,
      resetSeconds: rate > 0 ? Math.ceil((policy.capacity - tokens) / rate) : 0,
      retryAfterSeconds,
    },
  };
}

/** Puts tokens back (a request that never reached the GPU), never above capacity. */
export function refundTokens(
  state: BucketState | undefined,
  policy: BucketPolicy,
  amount: number,
  nowMs: number,
): BucketState {
  return { tokens: Math.min(policy.capacity, refill(state, policy, nowMs) + amount), updatedMs: nowMs };
}
