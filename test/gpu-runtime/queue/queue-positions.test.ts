/**
 * What the edge needs for an honest status: a waiting job learns when its place in the queue
 * moves and when a runner takes it (the runtime turns these into `queued` and `started` events).
 */
import { describe, expect, it } from "vitest";
import type { JobOutcome, QueuedJob } from "../../../gpu-runtime/queue/batch-job.ts";
import { GenerationQueue } from "../../../gpu-runtime/queue/generation-queue.ts";

function controlled() {
  const finishers: (() => void)[] = [];
  const run = (jobs: readonly QueuedJob<string>[]) =>
    new Promise<JobOutcome[]>((resolve) => finishers.push(() => resolve(jobs.map((j) => ({ status: "done", images: j.lanes })))));
  const q = new GenerationQueue<string>({ capacity: 8, maxBatchLanes: 1, concurrency: 1, gatherMs: 0, run });
  return { q, finishers };
}

const settled = () => new Promise((r) => setTimeout(r, 0));

describe("queue positions and starts", () => {
  it("a job started at once is marked started; waiting jobs hear each move and their start", async () => {
    const { q, finishers } = controlled();
    const first = q.submit("first", "K", 1);
    expect(first.started).toBe(true);
    const moves: [string, number][] = [];
    const starts: string[] = [];
    const waiting = ["a", "b", "c"].map((name) => {
      const job = q.submit(name, "K", 1);
      job.onQueueMove = (p) => moves.push([name, p]);
      job.onStart = () => starts.push(name);
      return job;
    });
    expect(waiting.map((j) => [j.started, j.queuePosition])).toEqual([
      [false, 1],
      [false, 2],
      [false, 3],
    ]);

    waiting[1]!.cancel("client_gone");
    expect(moves).toEqual([["c", 2]]);

    finishers[0]!();
    await first.outcome;
    await settled();
    expect(starts).toEqual(["a"]);
    expect(moves).toEqual([
      ["c", 2],
      ["c", 1],
    ]);
    finishers[1]!();
    await settled();
    expect(starts).toEqual(["a", "c"]);
    finishers[2]!();
    await Promise.all([waiting[0]!.outcome, waiting[2]!.outcome]);
  });
});
