/**
 * One Durable Object per user holds that user's token buckets (requests, cost). A Durable Object
 * runs one event at a time and its storage calls are gated, so each take is a read-compute-write
 * that nothing interleaves with: exact under any concurrency, across every Worker isolate.
 */
import { DurableObject } from "cloudflare:workers";
import { refundTokens, takeTokens, type BucketDecision, type BucketPolicy, type BucketState } from "../../../rate-limit/token-bucket.ts";
import type { RateLimitStore } from "../../../stores/rate-limit-store.ts";
import type { WorkerEnv } from "../env.ts";

export class UserLimiter extends DurableObject<WorkerEnv> {
  readonly #buckets = new Map<string, BucketState>();

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      for (const [name, state] of await ctx.storage.list<BucketState>()) this.#buckets.set(name, state);
    });
  }

  take(bucket: string, policy: BucketPolicy, amount: number, nowMs: number): BucketDecision {
    const { state, decision } = takeTokens(this.#buckets.get(bucket), policy, amount, nowMs);
    this.#save(bucket, state);
    return decision;
  }

  refund(bucket: string, policy: BucketPolicy, amount: number, nowMs: number): void {
    this.#save(bucket, refundTokens(this.#buckets.get(bucket), policy, amount, nowMs));
  }

  #save(bucket: string, state: BucketState): void {
    this.#buckets.set(bucket, state);
    // Not awaited: the output gate holds the reply until the write is durable.
    void this.ctx.storage.put(bucket, state);
  }
}

/** Bucket names are "<kind>:<userId>"; the part after the first colon picks the user's object. */
export function userOfBucket(bucket: string): string {
  const i = bucket.indexOf(":");
  return i < 0 ? bucket : bucket.slice(i + 1);
}

export function createDurableRateLimitStore(ns: DurableObjectNamespace<UserLimiter>): RateLimitStore {
  const stub = (bucket: string) => ns.get(ns.idFromName(userOfBucket(bucket)));
  return {
    async take(bucket, policy, amount, nowMs) {
      return stub(bucket).take(bucket, policy, amount, nowMs);
    },
    async refund(bucket, policy, amount, nowMs) {
      await stub(bucket).refund(bucket, policy, amount, nowMs);
    },
  };
}
