/** A worker for the pool's tests: echoes, sleeps, throws, crashes or hangs on request. */
import { threadId, workerData } from "node:worker_threads";
import { serveTasks } from "../../../shared/workers/serve-tasks.ts";

export type FixtureRequest =
  | { op: "echo"; value: unknown }
  | { op: "sleep"; ms: number; value: unknown }
  | { op: "throw"; code: string }
  | { op: "exit"; exitCode: number }
  | { op: "crash" }
  | { op: "hang" };

export interface FixtureReply {
  value: unknown;
  threadId: number;
  startedAt: number;
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
