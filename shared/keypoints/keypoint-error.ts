/** Every way keypoints or a canvas size can be unusable for drawing, with a stable code. */
export type KeypointErrorCode = "wrong_count" | "not_a_point" | "not_finite" | "out_of_range" | "bad_size";

export class KeypointError extends Error {
  override readonly name = "KeypointError";
  constructor(
    readonly code: KeypointErrorCode,
    message: string,
  ) {
    super(message);
  }
}
