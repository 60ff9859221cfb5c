/** Per-key limits: one bucket of requests, one of generation cost (steps x pixels x images). */
import type { BucketPolicy } from "./token-bucket.ts";

export interface KeyLimits {
  readonly requestsBurst: number;
  readonly requestsPerMinute: number;
  readonly costBurst: number;
  readonly costPerMinute: number;
  /** Generations in flight (queued or running) at once; absent: DEFAULT_MAX_IN_FLIGHT. */
  readonly maxInFlight?: number;
}

/** One user cannot take the runtime's whole queue (32 slots on the default runtime). */
export const DEFAULT_MAX_IN_FLIGHT = 4;
/**
 * A slot taken by a process that died mid-generation comes back by itself within this time (the
 * slots are a token bucket that refills slowly): no leaked slot locks a user out for good.
 */
export const IN_FLIGHT_SLOT_RECOVERY_SECONDS = 600;

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

/** Slots of generations in flight: taken at start, given back when the generation ends. */
export function inFlightPolicy(l: KeyLimits): BucketPolicy {
  const capacity = l.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  return { capacity, refillPerSecond: capacity / IN_FLIGHT_SLOT_RECOVERY_SECONDS };
}

/** What a generation costs against the cost bucket. */
export function generationCost(s: { steps: number; width: number; height: number; numImages: number }): number {
  return s.steps * s.width * s.height * s.numImages;
}
