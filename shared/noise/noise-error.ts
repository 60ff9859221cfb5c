/** A noise source refused its input or ran out; `code` is stable for callers and tests. */
export type NoiseErrorCode = "invalid_seed" | "shape_mismatch" | "noise_exhausted";

export class NoiseError extends Error {
  override readonly name = "NoiseError";
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
