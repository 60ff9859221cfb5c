/** Token buckets by name. Implementations decide atomically: no over-admission under concurrency. */
import type { BucketDecision, BucketPolicy } from "../rate-limit/token-bucket.ts";

export interface RateLimitStore {
  take(bucket: string, policy: BucketPolicy, amount: number, nowMs: number): Promise<BucketDecision>;
  refund(bucket: string, policy: BucketPolicy, amount: number, nowMs: number): Promise<void>;
}
