import { describe, expect, it, vi } from "vitest";
import type { JobOutcome, QueuedJob } from "../../../gpu-runtime/queue/batch-job.ts";
import { GenerationQueue, type GenerationQueueOptions } from "../../../gpu-runtime/queue/generation-queue.ts";
import { QueueError } from "../../../gpu-runtime/queue/queue-error.ts";

/** A runner whose batches finish when the test says so, recording what each batch held. */
function controlledRunner() {
  const batches: { names: string[]; jobs: readonly QueuedJob<string>[]; finish: (o?: JobOutcome[]) => void }[] = [];
  const run = (jobs: readonly QueuedJob<string>[]) =>
    new Promise<JobOutcome[]>((resolve) => {
      batches.push({
        names: jobs.map((j) => j.payload),
        jobs,
        finish: (o) => resolve(o ?? jobs.map((j) => (j.cancelReason ? { status: "cancelled", reason: j.cancelReason } : { status: "done", images: j.lanes }))),
      });
    });
  return { batches, run };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function queue(over: Partial<GenerationQueueOptions<string>> = {}) {
  const runner = controlledRunner();
  const q = new GenerationQueue<string>({ capacity: 4, maxBatchLanes: 4, concurrency: 1, gatherMs: 0, run: runner.run, ...over });
  return { q, ...runner };
}

describe("GenerationQueue", () => {
  it("batches waiting jobs of the oldest job's key, within the lane limit, leaving the rest in order", async () => {
    const { q, batches } = queue({ maxBatchLanes: 3 });
    const first = q.submit("first", "A", 1);
    const jobs = [q.submit("a1", "A", 2), q.submit("b1", "B", 1), q.submit("a2", "A", 1), q.submit("a3", "A", 1)];
    expect(batches.map((b) => b.names)).toEqual([["first"]]);
    batches[0]!.finish();
    expect(await first.outcome).toEqual({ status: "done", images: 1 });
    await tick();
    expect(batches[1]!.names).toEqual(["a1", "a2"]);
    batches[1]!.finish();
    await tick();
    expect(batches[2]!.names).toEqual(["b1"]);
    batches[2]!.finish();
    await tick();
    expect(batches[3]!.names).toEqual(["a3"]);
    batches[3]!.finish();
    expect((await Promise.all(jobs.map((j) => j.outcome))).map((o) => o.status)).toEqual(["done", "done", "done", "done"]);
  });

  it("lets the first job wait gatherMs for company, so requests that arrive together share a batch", () => {
    // A faked clock (timers and performance.now): a loaded machine cannot stretch the 5 ms gap past the window.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const { q, batches } = queue({ gatherMs: 40 });
      q.submit("x", "K", 1);
      vi.advanceTimersByTime(5);
      q.submit("y", "K", 1);
      vi.advanceTimersByTime(34);
      expect(batches).toHaveLength(0);
      vi.advanceTimersByTime(1);
      expect(batches.map((b) => b.names)).toEqual([["x", "y"]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("starts a lone job alone once gatherMs has passed", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const { q, batches } = queue({ gatherMs: 40 });
      q.submit("x", "K", 1);
      vi.advanceTimersByTime(40);
      q.submit("y", "K", 1);
      expect(batches.map((b) => b.names)).toEqual([["x"]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports how many jobs are ahead of a new one", () => {
    const { q } = queue();
    expect(q.submit("r", "A", 1).queuePosition).toBe(0);
    expect(q.submit("w1", "B", 1).queuePosition).toBe(1);
    expect(q.submit("w2", "B", 1).queuePosition).toBe(2);
  });

  it("refuses a job with queue_full and a Retry-After once capacity jobs wait", () => {
    const { q } = queue({ capacity: 2 });
    q.submit("running", "A", 1);
    q.submit("w1", "B", 1);
    q.submit("w2", "B", 1);
    let caught: unknown;
    try {
      q.submit("w3", "B", 1);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueueError);
    expect((caught as QueueError).code).toBe("queue_full");
    expect((caught as QueueError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("drops a cancelled waiting job at once, freeing its place", async () => {
    const { q, batches } = queue({ capacity: 1 });
    q.submit("running", "A", 1);
    const waiting = q.submit("w", "B", 1);
    waiting.cancel("client_gone");
    expect(await waiting.outcome).toEqual({ status: "cancelled", reason: "client_gone" });
    expect(q.stats.waiting).toBe(0);
    expect(() => q.submit("next", "B", 1)).not.toThrow();
    expect(batches).toHaveLength(1);
  });

  it("flags a cancelled running job for its runner, which ends it", async () => {
    const { q, batches } = queue();
    const job = q.submit("r", "A", 1);
    job.cancel("client_gone");
    job.cancel("shutting_down");
    expect(batches[0]!.jobs[0]!.cancelReason).toBe("client_gone");
    batches[0]!.finish();
    expect(await job.outcome).toEqual({ status: "cancelled", reason: "client_gone" });
  });

  it("fails every job of a batch whose runner throws, and keeps serving", async () => {
    let calls = 0;
    const q = new GenerationQueue<string>({
      capacity: 4,
      maxBatchLanes: 4,
      concurrency: 1,
      gatherMs: 0,
      run: async (jobs) => {
        if (calls++ === 0) throw new Error("boom");
        return jobs.map(() => ({ status: "done", images: 1 }));
      },
    });
    const a = q.submit("a", "A", 1);
    const b = q.submit("b", "B", 1);
    const outcome = await a.outcome;
    expect(outcome.status).toBe("failed");
    expect(outcome.status === "failed" && outcome.error.message).toBe("boom");
    expect(await b.outcome).toEqual({ status: "done", images: 1 });
  });

  it("runs up to `concurrency` batches at once", () => {
    const { q, batches } = queue({ concurrency: 2 });
    q.submit("a", "A", 1);
    q.submit("b", "B", 1);
    q.submit("c", "C", 1);
    expect(batches.map((b) => b.names)).toEqual([["a"], ["b"]]);
    expect(q.stats).toEqual({ waiting: 1, running: 2, batchesRunning: 2 });
  });

  it("on close, fails waiting jobs, waits for running ones within the grace, then cancels them", async () => {
    const { q, batches } = queue();
    const running = q.submit("r", "A", 1);
    const waiting = q.submit("w", "B", 1);
    const closed = q.close(30);
    expect(await waiting.outcome).toEqual({ status: "cancelled", reason: "shutting_down" });
    expect(() => q.submit("late", "A", 1)).toThrow(expect.objectContaining({ code: "shutting_down" }) as Error);
    await tick(50);
    expect(running.cancelReason).toBe("shutting_down");
    batches[0]!.finish();
    await closed;
    expect(await running.outcome).toEqual({ status: "cancelled", reason: "shutting_down" });
  });

  it("on close, lets a running batch that ends within the grace finish normally", async () => {
    const { q, batches } = queue();
    const running = q.submit("r", "A", 1);
    const closed = q.close(5_000);
    batches[0]!.finish();
    await closed;
    expect(await running.outcome).toEqual({ status: "done", images: 1 });
  });

  it("refuses bad options and lane counts", () => {
    const { run } = controlledRunner();
    expect(() => new GenerationQueue({ capacity: 0, maxBatchLanes: 1, concurrency: 1, gatherMs: 0, run })).toThrow(RangeError);
    const { q } = queue({ maxBatchLanes: 2 });
    expect(() => q.submit("x", "A", 3)).toThrow(RangeError);
    expect(() => q.submit("x", "A", 0)).toThrow(RangeError);
  });
});
