/** Why a pull, list or verify failed; `file` names the file (owner/name@rev:path) when one is at fault. */
export type PullErrorCode =
  | "manifest_invalid"
  | "unknown_pack"
  | "file_missing"
  | "file_corrupt"
  | "auth"
  | "hub_error"
  | "network";

export class PullError extends Error {
  override readonly name = "PullError";
  constructor(
    readonly code: PullErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
