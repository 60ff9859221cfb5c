/**
 * Photo intake in a browser: the platform's decoder (createImageBitmap, EXIF orientation applied
 * as sharp's rotate() does on the server) drawn on a canvas and read back as RGB. The image's ICC
 * profile is not applied (colorSpaceConversion "none"): the server's sharp intake reads the stored
 * values too (examples/astronaut.png, which has an iCCP chunk, decodes to its raw PNG bytes there), so
 * the networks see the same numbers on both sides.
 *
 * Written against the few DOM members it uses (declared below) so it compiles in the Node project too.
 */
import type { DecodedImage } from "../face-analyser.ts";

interface BitmapLike {
  readonly width: number;
  readonly height: number;
  close(): void;
}
interface Context2dLike {
  drawImage(image: BitmapLike, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray };
}
interface CanvasLike {
  getContext(kind: "2d", options?: { willReadFrequently?: boolean; colorSpace?: "srgb" }): Context2dLike | null;
}
interface BrowserGlobals {
  createImageBitmap(image: Blob, options: { imageOrientation: "from-image"; premultiplyAlpha: "none"; colorSpaceConversion: "none" }): Promise<BitmapLike>;
  OffscreenCanvas: new (width: number, height: number) => CanvasLike;
}

export interface BrowserImageLimits {
  readonly maxBytes: number;
  readonly maxPixels: number;
}

/** The decoded photo and the bitmap it came from (to draw on screen; the caller closes it). */
export interface BrowserDecodedImage {
  readonly image: DecodedImage;
  readonly bitmap: BitmapLike;
}

export class BrowserImageError extends Error {
  override readonly name = "BrowserImageError";
  constructor(
    readonly code: "image_too_large" | "too_many_pixels" | "corrupt_image",
    message: string,
  ) {
    super(message);
  }
}

export async function decodeBrowserImage(blob: Blob, limits: BrowserImageLimits = { maxBytes: 25 * 1024 * 1024, maxPixels: 50_000_000 }): Promise<BrowserDecodedImage> {
  if (blob.size > limits.maxBytes) throw new BrowserImageError("image_too_large", `the photo is ${blob.size} bytes; the limit is ${limits.maxBytes}`);
  const g = globalThis as unknown as BrowserGlobals;
  let bitmap: BitmapLike;
  try {
    bitmap = await g.createImageBitmap(blob, { imageOrientation: "from-image", premultiplyAlpha: "none", colorSpaceConversion: "none" });
  } catch (err) {
    throw new BrowserImageError("corrupt_image", `the photo could not be decoded: ${(err as Error).message}`);
  }
  const { width, height } = bitmap;
  if (width * height > limits.maxPixels) {
    bitmap.close();
    throw new BrowserImageError("too_many_pixels", `the photo is ${width}x${height}; the limit is ${limits.maxPixels} pixels`);
  }
  const ctx = new g.OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true, colorSpace: "srgb" });
  if (!ctx) throw new BrowserImageError("corrupt_image", "no 2D canvas in this browser");
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { image: { rgb: rgbaToRgb(rgba, width, height), width, height }, bitmap };
}

/** Drops alpha (photos are opaque; a canvas premultiplies, so a translucent pixel reads darker than sharp's removeAlpha() keeps it). */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  const n = width * height;
  if (rgba.length !== 4 * n) throw new RangeError(`rgbaToRgb: ${rgba.length} values for ${width}x${height}`);
  const rgb = new Uint8Array(3 * n);
  for (let i = 0, j = 0; i < 4 * n; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}
