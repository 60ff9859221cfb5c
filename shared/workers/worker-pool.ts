/**
 * A fixed-size pool of worker threads, created once, serving one task per worker at a time from
 * a single FIFO queue (first asked, first served). A worker that exits or crashes mid-task is
 * replaced and its caller gets a WorkerPoolError("worker_died") instead of waiting forever.
 * Workers whose init fails are not respawned in a loop: the queued callers get
 * "worker_start_failed", and the next run() tries again.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type TransferListItem } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./worker-messages.ts";
import { WorkerPoolError, type RemoteError } from "./worker-pool-error.ts";

export interface WorkerPoolOptions {
  /** The worker module (it calls serveTasks). A .ts module is started through tsx. */
  readonly script: string | URL;
  /** Number of workers. */
  readonly size: number;
  /** Passed to every worker as worker_threads' workerData. */
  readonly workerData?: unknown;
  /** A task running longer is failed with task_timeout and its worker replaced. Default: none. */
  readonly taskTimeoutMs?: number;
  /** Thread name prefix, for diagnostics. */
  readonly name?: string;
}

interface Task<Req, Res> {
  readonly id: number;
  readonly request: Req;
  readonly transfer: readonly TransferListItem[];
  readonly resolve: (value: Res) => void;
  readonly reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot<Req, Res> {
  readonly index: number;
  readonly worker: Worker;
  state: "starting" | "idle" | "busy" | "stopping";
  task?: Task<Req, Res>;
  /** Why the worker failed, as far as we know (its error event or init_failed message). */
  failure?: RemoteError;
}

/**
 * How to start the script. A TypeScript worker is booted through tsx's tsImport API: on Node 20,
 * `execArgv: ["--import", "tsx"]` does not reach worker threads (module.register hooks are
 * per-thread there, and the worker's entry fails with "Unknown file extension .ts").
 */
function workerEntry(script: string | URL): { entry: string | URL; eval: boolean } {
  const url = script instanceof URL ? script : pathToFileURL(script);
  if (!/\.[cm]?ts$/.test(url.pathname)) return { entry: script, eval: false };
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports["./esm/api"]!.import.default)).href;
  // A rejected import becomes the worker's uncaught error, which the pool reports as a failed start.
  const boot = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}));`;
  return { entry: boot, eval: true };
}

export class WorkerPool<Req, Res> {
  private readonly slots: (Slot<Req, Res> | null)[];
  private readonly queue: Task<Req, Res>[] = [];
  private readonly readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly entry: { entry: string | URL; eval: boolean };
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!(Number.isInteger(options.size) && options.size >= 1)) throw new RangeError(`WorkerPool: size must be a positive integer, got ${options.size}`);
    this.entry = workerEntry(options.script);
    this.slots = Array.from({ length: options.size }, () => null);
    for (let i = 0; i < options.size; i++) this.spawn(i);
  }

  get size(): number {
    return this.options.size;
  }

  /** Tasks waiting for a worker (not counting those running). */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once every worker has finished its init; rejects with worker_start_failed if one fails. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new WorkerPoolError("pool_closed", "the worker pool is closed"));
    this.refill();
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.settleReady();
    });
  }

  run(request: Req, transfer: readonly TransferListItem[] = []): Promise<Res> {
    if (this.closed) return Promise.reject(new WorkerPoolError("pool_closed", "the worker pool is closed"));
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, transfer, resolve, reject });
      this.refill();
      this.pump();
    });
  }

  /** Fails queued and running tasks with pool_closed and terminates every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = () => new WorkerPoolError("pool_closed", "the worker pool was closed");
    for (const task of this.queue.splice(0)) task.reject(closedError());
    for (const w of this.readyWaiters.splice(0)) w.reject(closedError());
    const exits: Promise<unknown>[] = [];
    for (const slot of this.slots) {
      if (!slot) continue;
      if (slot.task) this.finish(slot, (t) => t.reject(closedError()));
      slot.state = "stopping";
      exits.push(slot.worker.terminate());
    }
    this.slots.fill(null);
    await Promise.allSettled(exits);
  }

  private spawn(index: number): void {
    const worker = new Worker(this.entry.entry, {
      eval: this.entry.eval,
      workerData: this.options.workerData,
      name: `${this.options.name ?? "pool"}-${index}`,
    });
    const slot: Slot<Req, Res> = { index, worker, state: "starting" };
    this.slots[index] = slot;
    worker.on("message", (msg: FromWorker<Res>) => this.onMessage(slot, msg));
    worker.on("error", (err) => {
      slot.failure ??= { name: err.name, message: err.message };
    });
    worker.on("exit", (code) => this.onExit(slot, code));
  }

  /** Restart slots emptied by failed starts (called when someone asks for work). */
  private refill(): void {
    if (this.closed) return;
    for (let i = 0; i < this.slots.length; i++) if (!this.slots[i]) this.spawn(i);
  }

  private pump(): void {
    while (this.queue.length) {
      const slot = this.slots.find((s) => s?.state === "idle");
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.state = "busy";
      slot.task = task;
      if (this.options.taskTimeoutMs) {
        task.timer = setTimeout(() => this.onTimeout(slot, task), this.options.taskTimeoutMs);
      }
      const msg: ToWorker<Req> = { type: "task", id: task.id, request: task.request };
      try {
        slot.worker.postMessage(msg, task.transfer);
      } catch (err) {
        // The request could not be cloned: the caller's fault, not the worker's.
        this.finish(slot, (t) => t.reject(err as Error));
        slot.state = "idle";
      }
    }
  }

  /** Detach the slot's task, clear its timer and settle it. */
  private finish(slot: Slot<Req, Res>, settle: (task: Task<Req, Res>) => void): void {
    const task = slot.task;
    if (!task) return;
    slot.task = undefined;
    clearTimeout(task.timer);
    settle(task);
  }

  private onMessage(slot: Slot<Req, Res>, msg: FromWorker<Res>): void {
    switch (msg.type) {
      case "ready":
        if (slot.state !== "starting") return;
        slot.state = "idle";
        this.settleReady();
        this.pump();
        return;
      case "init_failed":
        slot.failure = msg.error;
        void slot.worker.terminate(); // the exit handler reports it
        return;
      case "result":
      case "error": {
        if (slot.task?.id !== msg.id) return;
        if (msg.type === "result") this.finish(slot, (t) => t.resolve(msg.value));
        else this.finish(slot, (t) => t.reject(new WorkerPoolError("task_failed", msg.error.message, msg.error)));
        slot.state = "idle";
        this.pump();
        return;
      }
    }
  }

  private onTimeout(slot: Slot<Req, Res>, task: Task<Req, Res>): void {
    if (slot.task !== task) return;
    this.finish(slot, (t) => t.reject(new WorkerPoolError("task_timeout", `the task ran longer than ${this.options.taskTimeoutMs} ms; its worker was replaced`)));
    slot.state = "stopping";
    void slot.worker.terminate();
  }

  private onExit(slot: Slot<Req, Res>, exitCode: number): void {
    if (this.slots[slot.index] === slot) this.slots[slot.index] = null;
    if (this.closed) return;
    const why = slot.failure ? `${slot.failure.name}: ${slot.failure.message}` : `exit code ${exitCode}`;
    if (slot.state === "starting") {
      this.onStartFailure(slot, why);
      return;
    }
    this.finish(slot, (t) => t.reject(new WorkerPoolError("worker_died", `the worker died during the task (${why}); it has been replaced`, slot.failure)));
    this.spawn(slot.index);
    this.pump();
  }

  private onStartFailure(slot: Slot<Req, Res>, why: string): void {
    const error = () => new WorkerPoolError("worker_start_failed", `a worker failed to start: ${why}`, slot.failure);
    for (const w of this.readyWaiters.splice(0)) w.reject(error());
    // Other workers may still serve the queue; if none is alive or starting, nobody will.
    const alive = this.slots.some((s) => s !== null && s.state !== "stopping");
    if (!alive) for (const task of this.queue.splice(0)) task.reject(error());
  }

  private settleReady(): void {
    if (!this.readyWaiters.length) return;
    if (this.slots.every((s) => s !== null && (s.state === "idle" || s.state === "busy"))) {
      for (const w of this.readyWaiters.splice(0)) w.resolve();
    }
  }
}
