/**
 * IdentityNet's condition: InstantID's draw_kps of the five keypoints on a black canvas of the output
 * size, as RGB in [0, 1], channels first (the ControlNet image processor does not normalise to [-1, 1]).
 */
import { drawKps, type Keypoint } from "../../shared/keypoints/draw-kps.ts";

/** One control image, [3, height, width] flattened. */
export function controlImageFromKps(kps: readonly Keypoint[], width: number, height: number): Float32Array {
  return rgbHwcToUnitChw(drawKps(kps, width, height), width, height);
}

/** RGB bytes, rows of pixels (HWC), to [0, 1] floats, planes of channels (CHW). */
export function rgbHwcToUnitChw(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  if (rgb.length !== plane * 3) throw new RangeError(`control image has ${rgb.length} bytes, expected ${plane * 3} for ${width}x${height} RGB`);
  const out = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    out[p] = rgb[p * 3]! / 255;
    out[plane + p] = rgb[p * 3 + 1]! / 255;
    out[2 * plane + p] = rgb[p * 3 + 2]! / 255;
  }
  return out;
}
