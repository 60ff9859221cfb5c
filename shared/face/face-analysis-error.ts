/** Every way face analysis can fail (bad photos are refused earlier, by ImageIntakeError). */
export type FaceAnalysisErrorCode =
  /** A model file of the pack is not there (the lite pack: run `npm run models:face`). */
  | "pack_missing"
  /** A model file is there but is not what the pack expects (inputs, outputs, checksum). */
  | "pack_invalid"
  /** The image handed to analyse() is not a consistent RGB buffer. */
  | "invalid_image"
  /** The worker running the analysis died; the analyser has replaced it. */
  | "worker_died"
  /** The analysis ran past the analyser's time limit; its worker was replaced. */
  | "analysis_timeout"
  /** analyse() after close(), or the analyser closed while the call was pending. */
  | "analyser_closed"
  /** The analysis itself threw (bad image dimensions, runtime failure). */
  | "analysis_failed";

export const FACE_ANALYSIS_ERROR_CODES: readonly FaceAnalysisErrorCode[] = [
  "pack_missing",
  "pack_invalid",
  "invalid_image",
  "worker_died",
  "analysis_timeout",
  "analyser_closed",
  "analysis_failed",
];

export class FaceAnalysisError extends Error {
  override readonly name = "FaceAnalysisError";
  constructor(
    readonly code: FaceAnalysisErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
