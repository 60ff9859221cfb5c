/**
 * Cheap previews while denoising: each latent cell's channels mapped to RGB by a fixed linear map
 * (no VAE call), then scaled up to the preview size and encoded as a small JPEG.
 */
import sharp from "sharp";

export interface LatentRgbMap {
  /** Row-major [3][latentChannels]. */
  readonly weights: readonly number[];
  readonly bias: readonly [number, number, number];
}

/**
 * SDXL's latent space, fitted by least squares against VAE decodes (the factors used across the
 * community for SDXL previews); output is about [-1, 1]. Fine for any 4-channel SDXL-family VAE.
 */
const SDXL_LATENT_RGB: LatentRgbMap = {
  weights: [0.3651, -0.2533, 0.1076, -0.3165, 0.4232, -0.0042, 0.1111, -0.2492, 0.4341, 0.1068, -0.0362, -0.2188],
  bias: [0.1084, -0.0175, -0.0011],
};

/** The pack's own map (pack.json model.previewFactors) or, for 4-channel latents, SDXL's. */
export function latentRgbMapFor(latentChannels: number, previewFactors?: readonly number[]): LatentRgbMap {
  if (previewFactors) {
    if (previewFactors.length !== 3 * latentChannels + 3) {
      throw new RangeError(`previewFactors must hold ${3 * latentChannels + 3} numbers (3 x ${latentChannels} weights, 3 biases), got ${previewFactors.length}`);
    }
    const w = previewFactors.slice(0, 3 * latentChannels);
    const b = previewFactors.slice(3 * latentChannels);
    return { weights: w, bias: [b[0]!, b[1]!, b[2]!] };
  }
  if (latentChannels === 4) return SDXL_LATENT_RGB;
  // An unknown latent space: show the first three channels as they are.
  const weights = new Array<number>(3 * latentChannels).fill(0);
  for (let c = 0; c < Math.min(3, latentChannels); c++) weights[c * latentChannels + c] = 1;
  return { weights, bias: [0, 0, 0] };
}

/** One latent [C, h, w] to RGB bytes (HWC) at latent resolution. */
export function latentToRgb(latent: Float32Array, channels: number, width: number, height: number, map: LatentRgbMap): Uint8Array {
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let o = 0; o < 3; o++) {
      let v = map.bias[o]!;
      for (let c = 0; c < channels; c++) v += map.weights[o * channels + c]! * latent[c * plane + p]!;
      const unit = (v + 1) / 2;
      out[p * 3 + o] = unit <= 0 ? 0 : unit >= 1 ? 255 : Math.round(unit * 255);
    }
  }
  return out;
}

export interface PreviewImage {
  readonly width: number;
  readonly height: number;
  readonly jpeg: Uint8Array;
}

/** A JPEG whose longest side is at most `maxSide` with the output's aspect ratio. */
export async function encodePreview(
  latent: Float32Array,
  channels: number,
  latentWidth: number,
  latentHeight: number,
  outputWidth: number,
  outputHeight: number,
  maxSide: number,
  map: LatentRgbMap,
): Promise<PreviewImage> {
  const rgb = latentToRgb(latent, channels, latentWidth, latentHeight, map);
  const scale = Math.min(1, maxSide / Math.max(outputWidth, outputHeight));
  const width = Math.max(1, Math.round(outputWidth * scale));
  const height = Math.max(1, Math.round(outputHeight * scale));
  const buf = await sharp(rgb, { raw: { width: latentWidth, height: latentHeight, channels: 3 } })
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .jpeg({ quality: 70 })
    .toBuffer();
  return { width, height, jpeg: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}
