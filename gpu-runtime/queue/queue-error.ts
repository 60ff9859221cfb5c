/** Why the queue refused or dropped a job; `code` is the wire contract's error code. */
export type QueueErrorCode = "queue_full" | "shutting_down";

export class QueueError extends Error {
  override readonly name = "QueueError";
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    /** Seconds after which a retry may succeed. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
