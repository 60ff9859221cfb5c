/**
 * Photo intake: bytes from an app become upright RGB pixels for the face models, or a typed
 * refusal. Limits are checked before decoding (bytes, then the header's pixel count), so a
 * decompression bomb never reaches the decoder's allocator. Memory stays bounded under load: a
 * photo is decoded only to the size face detection needs (at most `maxDecodedSide` on its longer
 * side, shrunk on load where the format allows: JPEG's DCT scaling, WebP's scaled decode, PNG
 * streamed through the resize), and only while the pixels in flight fit a budget (else
 * intake_busy, which an API answers 503 + Retry-After).
 */
import sharp from "sharp";
import type { DecodedImage } from "../face/face-analyser.ts";
import { sniffImageFormat } from "./image-format.ts";
import { ImageIntakeError } from "./image-intake-error.ts";
import { PixelBudget } from "./pixel-budget.ts";

export interface ImageIntakeLimits {
  /** Largest accepted upload, in bytes (Infinity: no limit). */
  readonly maxBytes: number;
  /** Largest accepted width x height, checked on the header before decoding (Infinity: no limit). */
  readonly maxPixels: number;
  /**
   * Longer side of the decoded image; larger photos are scaled down (default 2048: SCRFD looks at
   * 640, ArcFace at a 112 crop; a face keeps ample pixels). Keypoints are in the decoded pixels.
   */
  readonly maxDecodedSide?: number;
  /** Source pixels decoding at once in this process (default: one shared budget of DEFAULT_PIXEL_BUDGET). */
  readonly budget?: PixelBudget;
}

export const DEFAULT_MAX_DECODED_SIDE = 2048;
/** Four 50 MP photos decoding at once; the fifth waits for a retry. */
export const DEFAULT_PIXEL_BUDGET = 200_000_000;
const sharedBudget = new PixelBudget(DEFAULT_PIXEL_BUDGET);

/** A 48 MP phone photo passes; a 100 MP one, or a file over 25 MiB, does not. */
export const DEFAULT_IMAGE_LIMITS: ImageIntakeLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 50_000_000,
};

const WHAT_TO_SEND = "send a JPEG, PNG, WebP or AVIF photo (on iPhone, HEIC photos can be exported as JPEG, e.g. UIImage.jpegData)";

export async function decodeImage(bytes: Uint8Array, limits: Partial<ImageIntakeLimits> = {}): Promise<DecodedImage> {
  const { maxBytes, maxPixels } = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  const maxSide = limits.maxDecodedSide ?? DEFAULT_MAX_DECODED_SIDE;
  const budget = limits.budget ?? sharedBudget;
  if (!(maxBytes > 0) || !(maxPixels > 0)) throw new RangeError(`decodeImage: limits must be positive (got ${maxBytes} bytes, ${maxPixels} pixels)`);
  if (bytes.byteLength === 0) throw new ImageIntakeError("corrupt_image", "the image is empty (0 bytes)");
  if (bytes.byteLength > maxBytes) {
    throw new ImageIntakeError("image_too_large", `the image is ${bytes.byteLength} bytes; the limit is ${maxBytes} bytes`);
  }
  const sniffed = sniffImageFormat(bytes);
  if (!sniffed.accepted) {
    throw new ImageIntakeError("unsupported_format", `unsupported image format: ${sniffed.format}; ${WHAT_TO_SEND}`, sniffed.format);
  }
  const format = sniffed.format;
  const input = () =>
    // failOn "error" refuses truncated and broken pixel data, but not the benign warnings many camera JPEGs carry.
    sharp(bytes, { limitInputPixels: Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false, failOn: "error", sequentialRead: true });

  let width: number, height: number;
  try {
    const meta = await input().metadata();
    if (meta.format === "heif" && meta.compression !== "av1") {
      throw new ImageIntakeError("unsupported_format", `unsupported image format: HEIC; ${WHAT_TO_SEND}`, "HEIC");
    }
    width = meta.width ?? 0;
    height = meta.height ?? 0;
  } catch (err) {
    throw toIntakeError(err, format);
  }
  if (!(width > 0 && height > 0)) throw new ImageIntakeError("corrupt_image", `the ${format} header has no valid size`, format);
  if (width * height > maxPixels) {
    throw new ImageIntakeError("too_many_pixels", `the image is ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels}`, format);
  }

  const release = budget.tryAcquire(width * height);
  if (!release) {
    throw new ImageIntakeError("intake_busy", "too many photos are being decoded right now; retry shortly", format, 1);
  }
  try {
    const { data, info } = await input()
      .rotate() // applies the EXIF orientation, then drops it
      .resize({ width: maxSide, height: maxSide, fit: "inside", withoutEnlargement: true, fastShrinkOnLoad: true })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.byteLength !== info.width * info.height * 3) {
      throw new ImageIntakeError("corrupt_image", `the ${format} image decoded to an unexpected layout (${info.channels} channels)`, format);
    }
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw toIntakeError(err, format);
  } finally {
    release();
  }
}

function toIntakeError(err: unknown, format: string): ImageIntakeError {
  if (err instanceof ImageIntakeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new ImageIntakeError("too_many_pixels", `the image exceeds the pixel limit (${message})`, format);
  return new ImageIntakeError("corrupt_image", `the ${format} image could not be decoded: ${message.split("\n")[0]}`, format);
}
