/** Every way a checkpoint file can be unusable, with a stable code and the file (and tensor) it concerns. */
export type CheckpointErrorCode =
  | "truncated"
  | "malformed"
  | "unsupported_dtype"
  | "missing_tensor"
  | "shape_mismatch"
  | "unsupported_pickle";

export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}
