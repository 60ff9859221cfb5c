import { threadId } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "../../../shared/workers/worker-pool.ts";
import { WorkerPoolError } from "../../../shared/workers/worker-pool-error.ts";
import type { FixtureReply, FixtureRequest } from "./fixture-worker.ts";

const script = new URL("./fixture-worker.ts", import.meta.url);
const pools: WorkerPool<FixtureRequest, FixtureReply>[] = [];

function pool(size: number, extra: { workerData?: unknown; taskTimeoutMs?: number } = {}) {
  const p = new WorkerPool<FixtureRequest, FixtureReply>({ script, size, name: "test", ...extra });
  pools.push(p);
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<WorkerPoolError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkerPoolError);
  return err as WorkerPoolError;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("WorkerPool", () => {
  it("runs a TypeScript worker module off the main thread and returns its result", async () => {
    const p = pool(1);
    await p.ready();
    const reply = await p.run({ op: "echo", value: { a: [1, 2], b: new Float32Array([0.5]) } });
    expect(reply.value).toEqual({ a: [1, 2], b: new Float32Array([0.5]) });
    expect(reply.threadId).not.toBe(threadId);
  });

  it("serves queued tasks first come, first served", async () => {
    const p = pool(1);
    const replies = await Promise.all([5, 4, 3, 2, 1].map((i) => p.run({ op: "sleep", ms: i * 5, value: i })));
    const byStart = [...replies].sort((a, b) => a.startedAt - b.startedAt).map((r) => r.value);
    expect(byStart).toEqual([5, 4, 3, 2, 1]);
  });

  it("runs tasks on all its workers at once", async () => {
    const p = pool(2);
    await p.ready();
    // Each task blocks until both have arrived: they can only both meet if they run at the same time
    // (one at a time, the first gives up after 30 s). No wall-clock race on a loaded machine.
    const counter = new SharedArrayBuffer(4);
    const replies = await Promise.all([1, 2].map((i) => p.run({ op: "meet", counter, parties: 2, value: i })));
    expect(replies.map((r) => r.met)).toEqual([true, true]);
    expect(new Set(replies.map((r) => r.threadId)).size).toBe(2);
  });

  it("fails the task whose worker crashes, replaces the worker, and serves the queue behind it", async () => {
    const p = pool(1);
    const first = await p.run({ op: "echo", value: 0 });
    const crashed = p.run({ op: "crash" });
    const behind = [p.run({ op: "echo", value: 1 }), p.run({ op: "echo", value: 2 })];
    const err = await rejection(crashed);
    expect(err.code).toBe("worker_died");
    expect(err.message).toMatch(/crashed on purpose/);
    const after = await Promise.all(behind);
    expect(after.map((r) => r.value)).toEqual([1, 2]);
    expect(after[0]!.threadId).not.toBe(first.threadId);
  });

  it("fails the task whose worker exits, with worker_died", async () => {
    const p = pool(1);
    const err = await rejection(p.run({ op: "exit", exitCode: 7 }));
    expect(err.code).toBe("worker_died");
    expect(err.message).toMatch(/exit code 7/);
    expect((await p.run({ op: "echo", value: "ok" })).value).toBe("ok");
  });

  it("passes a handler's error back with its code and keeps the worker", async () => {
    const p = pool(1);
    const before = await p.run({ op: "echo", value: 0 });
    const err = await rejection(p.run({ op: "throw", code: "bad_thing" }));
    expect(err.code).toBe("task_failed");
    expect(err.remote?.code).toBe("bad_thing");
    expect(err.remote?.message).toBe("handler failed on purpose");
    expect((await p.run({ op: "echo", value: 1 })).threadId).toBe(before.threadId);
  });

  it("reports a worker whose init fails instead of hanging its callers", async () => {
    const p = pool(2, { workerData: { failInit: true } });
    const readyErr = await rejection(p.ready());
    expect(readyErr.code).toBe("worker_start_failed");
    expect(readyErr.message).toMatch(/init failed on purpose/);
    const runErr = await rejection(p.run({ op: "echo", value: 1 }));
    expect(runErr.code).toBe("worker_start_failed");
  });

  it("terminates and replaces a worker that runs past the task timeout", async () => {
    const p = pool(1, { taskTimeoutMs: 300 });
    const err = await rejection(p.run({ op: "hang" }));
    expect(err.code).toBe("task_timeout");
    expect((await p.run({ op: "echo", value: "alive" })).value).toBe("alive");
  });

  it("close() fails running and queued tasks and refuses new ones", async () => {
    const p = pool(1);
    await p.ready();
    const running = rejection(p.run({ op: "sleep", ms: 5_000, value: 1 }));
    const queued = rejection(p.run({ op: "echo", value: 2 }));
    await new Promise((r) => setTimeout(r, 50));
    await p.close();
    expect((await running).code).toBe("pool_closed");
    expect((await queued).code).toBe("pool_closed");
    expect((await rejection(p.run({ op: "echo", value: 3 }))).code).toBe("pool_closed");
  });

  it("refuses a size that is not a positive integer", () => {
    expect(() => new WorkerPool({ script, size: 0 })).toThrow(RangeError);
  });
});
