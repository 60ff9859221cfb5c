/**
 * What the queue moves around: an opaque payload with a batch key, a size in lanes (images) and
 * a cancellation flag the runner checks between denoising steps.
 */
export interface QueuedJob<P> {
  readonly payload: P;
  /** Jobs with equal keys may share one network call. */
  readonly batchKey: string;
  /** How many batch lanes the job takes (its number of images). */
  readonly lanes: number;
  /** Why the job was cancelled, once it was; the runner drops it at its next step. */
  readonly cancelReason: CancelReason | undefined;
}

export type CancelReason = "client_gone" | "shutting_down";

/** How one job of a batch ended. */
export type JobOutcome =
  | { readonly status: "done"; readonly images: number }
  | { readonly status: "cancelled"; readonly reason: CancelReason }
  | { readonly status: "failed"; readonly error: Error };

/** Runs a batch of compatible jobs; one outcome per job, in order. Must not throw for one job's failure. */
export type BatchRunner<P> = (jobs: readonly QueuedJob<P>[]) => Promise<JobOutcome[]>;
