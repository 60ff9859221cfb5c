/** The pool's wire protocol between the main thread and a worker. */
import type { RemoteError } from "./worker-pool-error.ts";

export type ToWorker<Req> = { readonly type: "task"; readonly id: number; readonly request: Req };

export type FromWorker<Res> =
  | { readonly type: "ready" }
  | { readonly type: "init_failed"; readonly error: RemoteError }
  | { readonly type: "result"; readonly id: number; readonly value: Res }
  | { readonly type: "error"; readonly id: number; readonly error: RemoteError };
