/** Every way a photo can be refused at intake, with a stable code an API can map to a 4xx answer. */
export type ImageIntakeErrorCode =
  /** Not JPEG, PNG, WebP or AVIF (HEIC, GIF, TIFF, ...). */
  | "unsupported_format"
  /** More bytes than the configured byte limit. */
  | "image_too_large"
  /** More pixels than the configured pixel limit (decompression bombs). */
  | "too_many_pixels"
  /** Empty, truncated or otherwise undecodable bytes. */
  | "corrupt_image";

export class ImageIntakeError extends Error {
  override readonly name = "ImageIntakeError";
  constructor(
    readonly code: ImageIntakeErrorCode,
    message: string,
    /** The format that was recognised, when one was (e.g. "HEIC"). */
    readonly format?: string,
  ) {
    super(message);
  }
}
