/**
 * Bilinear resize with cv2.resize(INTER_LINEAR) geometry: pixel centres aligned
 * (src = (dst + 0.5) * scale - 0.5), edges clamped, 11-bit fixed-point weights as OpenCV's
 * scalar path uses. No antialiasing on downscale, as in OpenCV.
 */
import type { Raster } from "./raster.ts";

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

interface Taps {
  index: Int32Array;
  /** Weight of the first tap in 1/2048; the second gets the rest. */
  weight: Int32Array;
}

function taps(srcSize: number, dstSize: number): Taps {
  const scale = srcSize / dstSize;
  const index = new Int32Array(dstSize);
  const weight = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    const f = (d + 0.5) * scale - 0.5;
    let s = Math.floor(f);
    let frac = f - s;
    if (s < 0) (s = 0), (frac = 0);
    if (s >= srcSize - 1) (s = srcSize - 1), (frac = 0);
    index[d] = s;
    weight[d] = Math.round((1 - frac) * COEF_SCALE);
  }
  return { index, weight };
}

export function resizeBilinear(src: Raster, width: number, height: number): Raster {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`resizeBilinear: bad target size ${width}x${height}`);
  }
  const c = src.channels;
  const xs = taps(src.width, width);
  const ys = taps(src.height, height);
  const out = new Uint8Array(width * height * c);
  // Horizontal pass into one int row per source row actually used; two rows are live at a time.
  const rowCache = new Map<number, Int32Array>();
  const hrow = (sy: number): Int32Array => {
    let row = rowCache.get(sy);
    if (row) return row;
    row = new Int32Array(width * c);
    const base = sy * src.width * c;
    for (let dx = 0; dx < width; dx++) {
      const sx = xs.index[dx]!;
      const sx1 = Math.min(sx + 1, src.width - 1);
      const a0 = xs.weight[dx]!;
      const a1 = COEF_SCALE - a0;
      for (let k = 0; k < c; k++) row[dx * c + k] = src.data[base + sx * c + k]! * a0 + src.data[base + sx1 * c + k]! * a1;
    }
    if (rowCache.size >= 4) rowCache.delete(rowCache.keys().next().value!);
    rowCache.set(sy, row);
    return row;
  };
  const shift = 2 * COEF_BITS;
  const half = 1 << (shift - 1);
  for (let dy = 0; dy < height; dy++) {
    const sy = ys.index[dy]!;
    const r0 = hrow(sy);
    const r1 = hrow(Math.min(sy + 1, src.height - 1));
    const b0 = ys.weight[dy]!;
    const b1 = COEF_SCALE - b0;
    const o = dy * width * c;
    for (let i = 0; i < width * c; i++) {
      const v = (r0[i]! * b0 + r1[i]! * b1 + half) / 2 ** shift;
      out[o + i] = Math.min(255, Math.max(0, Math.floor(v)));
    }
  }
  return { data: out, width, height, channels: c };
}
