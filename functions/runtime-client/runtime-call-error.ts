/** Why a call to the runtime did not (fully) work, as the edge's stable codes. */

export type RuntimeCallErrorCode =
  /** Could not connect, or the runtime answered 5xx without a reason we know. */
  | "runtime_unavailable"
  /** The runtime's queue is full or it is shutting down; retry after `retryAfterSeconds`. */
  | "runtime_busy"
  /** The runtime refused the request as invalid or unauthorised: an edge/runtime mismatch. */
  | "runtime_rejected"
  /** The identity's embedding comes from a face pack the runtime's adapter was not trained on. */
  | "embedding_pack_mismatch"
  /** The requested scheduler needs weights the runtime's pack lacks (LCM). */
  | "scheduler_unavailable"
  /** The connection broke mid-stream. */
  | "runtime_disconnected"
  /** The runtime spoke something other than the contract. */
  | "runtime_protocol_error";

export class RuntimeCallError extends Error {
  readonly code: RuntimeCallErrorCode;
  /** The runtime's own problem/event code, when it gave one. */
  readonly runtimeCode: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: RuntimeCallErrorCode,
    message: string,
    options: { runtimeCode?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RuntimeCallError";
    this.code = code;
    this.runtimeCode = options.runtimeCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
