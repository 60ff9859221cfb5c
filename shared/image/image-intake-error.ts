/** Every way a photo can be refused at intake, with a stable code an API can map to a 4xx answer. */
export type ImageIntakeErrorCode =
  /** Not JPEG, PNG, WebP or AVIF (HEIC, GIF, TIFF, ...). */
  | "unsupported_format"
  /** More bytes than the configured byte limit. */
  | "image_too_large"
  /** More pixels than the configured pixel limit (decompression bombs). */
  | "too_many_pixels"
  /** Empty, truncated or otherwise undecodable bytes. */
  | "corrupt_image"
  /** Too many pixels are being decoded right now (the pixel budget); retry after `retryAfterSeconds`. */
  | "intake_busy";

export class ImageIntakeError extends Error {
  override readonly name = "ImageIntakeError";
  constructor(
    readonly code: ImageIntakeErrorCode,
    message: string,
    /** The format that was recognised, when one was (e.g. "HEIC"). */
    readonly format?: string,
    /** intake_busy: when a retry is likely to be admitted. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
