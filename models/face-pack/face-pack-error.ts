/** Why the lite face pack could not be put in place. */
export type FacePackErrorCode =
  /** `npm pack` failed: offline, registry unreachable, package gone. */
  | "download_failed"
  /** The tarball is not a readable npm package tarball, or lacks a model file. */
  | "archive_invalid"
  /** A model file's sha256 is not the pinned one: the package changed or was tampered with. */
  | "checksum_mismatch";

export class FacePackError extends Error {
  override readonly name = "FacePackError";
  constructor(
    readonly code: FacePackErrorCode,
    message: string,
  ) {
    super(message);
  }
}
