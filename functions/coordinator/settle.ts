/**
 * The end of a generation, the same for every coordinator: the outcome is stored (first one wins),
 * the cost of the steps that did not run goes back to the user's bucket, so does the in-flight slot, and the stored record is
 * handed on (webhook outbox) when this call was the one that ended it.
 */
import type { GenerationCharge, GenerationWebhook } from "../ports/generation-coordinator.ts";
import type { GenerationOutcome, GenerationRecord, GenerationStore } from "../stores/generation-store.ts";
import type { RateLimitStore } from "../stores/rate-limit-store.ts";

export interface SettleDeps {
  readonly generations: GenerationStore;
  readonly rateLimits: RateLimitStore;
  readonly clock: () => number;
  /** Called once per generation with its final record (e.g. to queue the webhook delivery). */
  readonly onSettled?: (record: GenerationRecord, webhook: GenerationWebhook | undefined) => Promise<void>;
}

export interface Settlement {
  readonly id: string;
  readonly userId: string;
  /** The record as inserted (what the outcome is written over). */
  readonly record: GenerationRecord;
  readonly steps: number;
  readonly outcome: GenerationOutcome;
  readonly charge?: GenerationCharge;
  readonly webhook?: GenerationWebhook;
}

/** The share of `cost` for the steps not run; a succeeded generation keeps its whole charge. */
export function unrunCost(cost: number, steps: number, stepsRun: number, status: GenerationOutcome["status"]): number {
  if (status === "succeeded" || steps <= 0) return 0;
  const unrun = Math.min(steps, Math.max(0, steps - stepsRun));
  return Math.floor((cost * unrun) / steps);
}

/** Returns the stored record when this call ended the generation, undefined when it had already ended. */
export async function settleGeneration(d: SettleDeps, s: Settlement): Promise<GenerationRecord | undefined> {
  const now = d.clock();
  const first = await d.generations.finish(s.id, s.outcome, now);
  if (!first) return undefined;
  if (s.charge) {
    const back = unrunCost(s.charge.cost, s.steps, s.outcome.progressStep ?? 0, s.outcome.status);
    if (back > 0) await d.rateLimits.refund(s.charge.bucket, s.charge.policy, back, now);
    if (s.charge.slot) await d.rateLimits.refund(s.charge.slot.bucket, s.charge.slot.policy, 1, now);
  }
  // The stored record, built here rather than read back (a read per generation on the hot path).
  const record: GenerationRecord = {
    ...s.record,
    status: s.outcome.status,
    errorCode: s.outcome.errorCode ?? null,
    errorMessage: s.outcome.errorMessage ?? null,
    progressStep: s.outcome.progressStep ?? s.record.progressStep,
    images: s.outcome.images ?? s.record.images,
    finishedMs: now,
  };
  if (d.onSettled) await d.onSettled(record, s.webhook);
  return record;
}
