/**
 * A bounded queue in front of the pipeline. Jobs wait in arrival order; a free runner takes the oldest
 * job plus every waiting job with the same batch key (up to the lane limit), so requests that arrive
 * together share each network call. The first job of a batch waits up to `gatherMs` for company.
 */
import type { BatchRunner, CancelReason, JobOutcome, QueuedJob } from "./batch-job.ts";
import { QueueError } from "./queue-error.ts";

export interface GenerationQueueOptions<P> {
  /** Jobs that may wait (not counting running ones); one more is refused with queue_full. */
  readonly capacity: number;
  /** Lanes (images) one batch may hold. */
  readonly maxBatchLanes: number;
  /** Batches running at once (one per inference worker). */
  readonly concurrency: number;
  /** How long a lone job waits for others with its key before it starts alone. */
  readonly gatherMs: number;
  readonly run: BatchRunner<P>;
}

export interface QueueStats {
  readonly waiting: number;
  readonly running: number;
  readonly batchesRunning: number;
}

export class JobHandle<P> implements QueuedJob<P> {
  cancelReason: CancelReason | undefined;
  readonly enqueuedAt = performance.now();
  readonly outcome: Promise<JobOutcome>;
  /** Set by the queue: settles `outcome`. */
  settle!: (o: JobOutcome) => void;
  /** Set by the queue: drops a waiting job at once. */
  onCancel: (() => void) | undefined;
  /** True once a runner took the job; `onStart` is called then (set it after checking this). */
  started = false;
  onStart: (() => void) | undefined;
  /** Called when the number of jobs ahead of this waiting one changes. */
  onQueueMove: ((queuePosition: number) => void) | undefined;
  /** Jobs ahead of this one now (while waiting). */
  position: number;

  constructor(
    readonly payload: P,
    readonly batchKey: string,
    readonly lanes: number,
    /** Jobs ahead of this one when it was queued. */
    readonly queuePosition: number,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.position = queuePosition;
  }

  /** Idempotent: the first reason wins. A running job stops at its next denoising step. */
  cancel(reason: CancelReason): void {
    if (this.cancelReason) return;
    this.cancelReason = reason;
    this.onCancel?.();
  }
}

export class GenerationQueue<P> {
  private readonly waiting: JobHandle<P>[] = [];
  private readonly running = new Set<JobHandle<P>>();
  private readonly batches = new Set<Promise<void>>();
  private accepting = true;
  private gatherTimer: NodeJS.Timeout | undefined;
  /** Smoothed seconds per batch, for Retry-After. */
  private batchSeconds = 1;

  constructor(private readonly o: GenerationQueueOptions<P>) {
    for (const [k, v] of [["capacity", o.capacity], ["maxBatchLanes", o.maxBatchLanes], ["concurrency", o.concurrency]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`queue ${k} must be a positive integer, got ${v}`);
    }
    if (!(o.gatherMs >= 0)) throw new RangeError(`queue gatherMs must be >= 0, got ${o.gatherMs}`);
  }

  get stats(): QueueStats {
    return { waiting: this.waiting.length, running: this.running.size, batchesRunning: this.batches.size };
  }

  /** Queues a job or throws QueueError (queue_full, shutting_down). */
  submit(payload: P, batchKey: string, lanes: number): JobHandle<P> {
    if (!this.accepting) throw new QueueError("shutting_down", "the runtime is shutting down", 5);
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > this.o.maxBatchLanes) {
      throw new RangeError(`a job takes 1..${this.o.maxBatchLanes} lanes, got ${lanes}`);
    }
    if (this.waiting.length >= this.o.capacity) {
      throw new QueueError("queue_full", `the queue is full (${this.o.capacity} waiting)`, this.retryAfterSeconds());
    }
    const idle = this.batches.size < this.o.concurrency;
    const ahead = this.waiting.length + (idle ? 0 : this.running.size);
    const job = new JobHandle(payload, batchKey, lanes, ahead);
    job.onCancel = () => {
      const i = this.waiting.indexOf(job);
      if (i === -1) return;
      this.waiting.splice(i, 1);
      job.settle({ status: "cancelled", reason: job.cancelReason! });
      this.announcePositions();
    };
    this.waiting.push(job);
    this.pump();
    return job;
  }

  /**
   * Stops taking jobs, fails waiting ones (shutting_down), lets running batches finish for up to
   * `graceMs`, then cancels what is still running and waits for it to stop at its next step.
   */
  async close(graceMs: number): Promise<void> {
    this.accepting = false;
    clearTimeout(this.gatherTimer);
    for (const job of [...this.waiting]) job.cancel("shutting_down");
    const all = () => Promise.all([...this.batches]);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), graceMs)));
    const first = await Promise.race([all().then(() => "done" as const), graceOver]);
    clearTimeout(timer);
    if (first === "timeout") {
      for (const job of this.running) job.cancel("shutting_down");
      await all();
    }
  }

  private retryAfterSeconds(): number {
    const rounds = Math.ceil((this.waiting.length + 1) / this.o.concurrency);
    return Math.max(1, Math.ceil(rounds * this.batchSeconds));
  }

  private pump(): void {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    while (this.batches.size < this.o.concurrency && this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const waited = performance.now() - head.enqueuedAt;
      const batch = this.compatibleWith(head);
      const lanes = batch.reduce((n, j) => n + j.lanes, 0);
      if (waited < this.o.gatherMs && lanes < this.o.maxBatchLanes) {
        this.gatherTimer = setTimeout(() => this.pump(), this.o.gatherMs - waited);
        return;
      }
      for (const job of batch) this.waiting.splice(this.waiting.indexOf(job), 1);
      this.start(batch);
    }
    this.announcePositions();
  }

  /** Tells each waiting job whose place moved how many jobs are now ahead of it. */
  private announcePositions(): void {
    const busy = this.batches.size < this.o.concurrency ? 0 : this.running.size;
    this.waiting.forEach((job, i) => {
      const position = i + busy;
      if (position === job.position) return;
      job.position = position;
      job.onQueueMove?.(position);
    });
  }

  private compatibleWith(head: JobHandle<P>): JobHandle<P>[] {
    const batch = [head];
    let lanes = head.lanes;
    for (const job of this.waiting) {
      if (job === head || job.batchKey !== head.batchKey) continue;
      if (lanes + job.lanes > this.o.maxBatchLanes) continue;
      batch.push(job);
      lanes += job.lanes;
    }
    return batch;
  }

  private start(batch: JobHandle<P>[]): void {
    for (const job of batch) {
      this.running.add(job);
      job.started = true;
      job.onStart?.();
    }
    const t0 = performance.now();
    const p = this.o
      .run(batch)
      .then(
        (outcomes) => {
          if (outcomes.length !== batch.length) throw new Error(`batch runner returned ${outcomes.length} outcomes for ${batch.length} jobs`);
          return outcomes;
        },
        (err: unknown) => batch.map((): JobOutcome => ({ status: "failed", error: err instanceof Error ? err : new Error(String(err)) })),
      )
      .catch((err: Error) => batch.map((): JobOutcome => ({ status: "failed", error: err })))
      .then((outcomes) => {
        this.batchSeconds = 0.7 * this.batchSeconds + 0.3 * ((performance.now() - t0) / 1000);
        batch.forEach((job, i) => {
          this.running.delete(job);
          job.settle(outcomes[i]!);
        });
        this.batches.delete(p);
        this.pump();
      });
    this.batches.add(p);
  }
}
