/** A request the pipeline cannot serve with this pack; `code` is the wire contract's error code. */
export type PipelineErrorCode = "embedding_pack_mismatch" | "scheduler_unavailable" | "invalid_request" | "inference_failed";

export class PipelineError extends Error {
  override readonly name = "PipelineError";
  constructor(
    readonly code: PipelineErrorCode,
    message: string,
    /** The request field at fault, for problem bodies. */
    readonly field?: string,
  ) {
    super(message);
  }
}
