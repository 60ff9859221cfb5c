/** Why a pooled task did not produce a result. */
export type WorkerPoolErrorCode =
  /** The worker running the task exited or crashed; the pool has started a replacement. */
  | "worker_died"
  /** No worker could start (its init threw, or the script failed to load). */
  | "worker_start_failed"
  /** The task's handler threw inside the worker; `remote` says what it threw. */
  | "task_failed"
  /** The task ran past the pool's taskTimeoutMs; its worker was terminated and replaced. */
  | "task_timeout"
  /** The pool was closed before the task finished. */
  | "pool_closed";

/** An error as it crosses a thread boundary: the fields a caller can act on. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

export class WorkerPoolError extends Error {
  override readonly name = "WorkerPoolError";
  constructor(
    readonly code: WorkerPoolErrorCode,
    message: string,
    /** The error thrown in the worker, for task_failed and worker_start_failed. */
    readonly remote?: RemoteError,
  ) {
    super(message);
  }
}

export function toRemoteError(err: unknown): RemoteError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === "string" ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { name: "Error", message: String(err) };
}
