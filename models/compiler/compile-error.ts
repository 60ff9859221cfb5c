/** Why a network could not be compiled; `key` names the checkpoint tensor concerned, when there is one. */
export type CompileErrorCode = "missing_weight" | "weight_shape" | "bad_config" | "unused_weights";

export class CompileError extends Error {
  override readonly name = "CompileError";
  constructor(
    readonly code: CompileErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}
