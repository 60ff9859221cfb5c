/** Per-key limits: one bucket of requests, one of generation cost (steps x pixels x images). */
import type { BucketPolicy } from "./token-bucket.ts";

export interface KeyLimits {
  readonly requestsBurst: number;
  readonly requestsPerMinute: number;
  readonly costBurst: number;
  readonly costPerMinute: number;
}

/** 60 requests/min; cost: the largest single request fits the burst, ~4 default images a minute. */
export const DEFAULT_KEY_LIMITS: KeyLimits = {
  requestsBurst: 60,
  requestsPerMinute: 60,
  costBurst: 100 * 1536 * 1536 * 4,
  costPerMinute: 30 * 1024 * 1024 * 4,
};

export function requestPolicy(l: KeyLimits): BucketPolicy {
  return { capacity: l.requestsBurst, refillPerSecond: l.requestsPerMinute / 60 };
}

export function costPolicy(l: KeyLimits): BucketPolicy {
  return { capacity: l.costBurst, refillPerSecond: l.costPerMinute / 60 };
}

/** What a generation costs against the cost bucket. */
export function generationCost(s: { steps: number; width: number; height: number; numImages: number }): number {
  return s.steps * s.width * s.height * s.numImages;
}
