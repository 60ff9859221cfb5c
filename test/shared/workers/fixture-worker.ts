/** A worker for the pool's tests: echoes, sleeps, throws, crashes or hangs on request. */
import { threadId, workerData } from "node:worker_threads";
import { serveTasks } from "../../../shared/workers/serve-tasks.ts";

export type FixtureRequest =
  | { op: "echo"; value: unknown }
  | { op: "sleep"; ms: number; value: unknown }
  /** Waits (up to 30 s) until `parties` tasks have arrived at the shared counter: proof they ran at once. */
  | { op: "meet"; counter: SharedArrayBuffer; parties: number; value: unknown }
  | { op: "throw"; code: string }
  | { op: "exit"; exitCode: number }
  | { op: "crash" }
  | { op: "hang" };

export interface FixtureReply {
  value: unknown;
  threadId: number;
  startedAt: number;
  /** meet: whether every party arrived before the wait gave up. */
  met?: boolean;
}

serveTasks<null, FixtureRequest, FixtureReply>(
  () => {
    if ((workerData as { failInit?: boolean } | undefined)?.failInit) throw new Error("init failed on purpose");
    return null;
  },
  async (_state, req) => {
    const startedAt = performance.timeOrigin + performance.now();
    switch (req.op) {
      case "echo":
        return { value: req.value, threadId, startedAt };
      case "sleep":
        await new Promise((r) => setTimeout(r, req.ms));
        return { value: req.value, threadId, startedAt };
      case "meet": {
        const count = new Int32Array(req.counter);
        Atomics.add(count, 0, 1);
        Atomics.notify(count, 0);
        const giveUpAt = Date.now() + 30_000;
        for (let seen = Atomics.load(count, 0); seen < req.parties; seen = Atomics.load(count, 0)) {
          const left = giveUpAt - Date.now();
          if (left <= 0) return { value: req.value, threadId, startedAt, met: false };
          Atomics.wait(count, 0, seen, left);
        }
        return { value: req.value, threadId, startedAt, met: true };
      }
      case "throw":
        throw Object.assign(new Error("handler failed on purpose"), { code: req.code });
      case "exit":
        process.exit(req.exitCode);
      case "crash":
        // An exception outside the handler's promise: an uncaught error that kills the worker.
        setImmediate(() => {
          throw new Error("crashed on purpose");
        });
        return new Promise<never>(() => {});
      case "hang":
        for (;;) {
          /* a busy loop the pool can only end by terminating the worker */
        }
    }
  },
);
