/**
 * cv2.warpAffine(src, M, (w, h)) with INTER_LINEAR and BORDER_CONSTANT, reproduced to the bit:
 * OpenCV inverts M in double precision, steps source coordinates in 1/1024 units, keeps 5
 * fractional bits per axis (1/32 pixel) and blends the 4 taps with 15-bit integer weights.
 * A tap outside the source reads the border value.
 */
import type { Raster } from "./raster.ts";

/** Row-major 2x3 affine matrix [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f. */
export type AffineMatrix = readonly [number, number, number, number, number, number];

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const REMAP_BITS = 15;

/** cvRound: round half to even, as lrint does under the default rounding mode. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The inverse map (destination -> source), computed as cv::warpAffine does. */
export function invertAffine(m: AffineMatrix): AffineMatrix {
  const [a, b, c, d, e, f] = m;
  let det = a * e - b * d;
  det = det !== 0 ? 1 / det : 0;
  const ia = e * det;
  const ib = -b * det;
  const id = -d * det;
  const ie = a * det;
  return [ia, ib, -ia * c - ib * f, id, ie, -id * c - ie * f];
}

export function warpAffine(src: Raster, m: AffineMatrix, width: number, height: number, borderValue = 0): Raster {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`warpAffine: bad target size ${width}x${height}`);
  }
  if (!m.every(Number.isFinite)) throw new RangeError("warpAffine: the matrix has non-finite entries");
  const inv = invertAffine(m);
  const c = src.channels;
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const out = new Uint8Array(width * height * c);
  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = roundHalfEven(inv[0] * x * AB_SCALE);
    bdelta[x] = roundHalfEven(inv[3] * x * AB_SCALE);
  }
  const half = 1 << (REMAP_BITS - 1);
  for (let y = 0; y < height; y++) {
    const x0 = roundHalfEven((inv[1] * y + inv[2]) * AB_SCALE) + ROUND_DELTA;
    const y0 = roundHalfEven((inv[4] * y + inv[5]) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < width; x++) {
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const ax = X & (INTER_TAB_SIZE - 1);
      const ay = Y & (INTER_TAB_SIZE - 1);
      const o = (y * width + x) * c;
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        out.fill(borderValue, o, o + c);
        continue;
      }
      // (1-ax)(1-ay) etc. in 1/32768: exact integers, as in OpenCV's BilinearTab_i.
      const w00 = (INTER_TAB_SIZE - ax) * (INTER_TAB_SIZE - ay) * 32;
      const w01 = ax * (INTER_TAB_SIZE - ay) * 32;
      const w10 = (INTER_TAB_SIZE - ax) * ay * 32;
      const w11 = ax * ay * 32;
      const inX0 = sx >= 0 && sx < sw;
      const inX1 = sx + 1 >= 0 && sx + 1 < sw;
      const inY0 = sy >= 0 && sy < sh;
      const inY1 = sy + 1 >= 0 && sy + 1 < sh;
      const p00 = (sy * sw + sx) * c;
      const p10 = p00 + sw * c;
      for (let k = 0; k < c; k++) {
        const v00 = inX0 && inY0 ? s[p00 + k]! : borderValue;
        const v01 = inX1 && inY0 ? s[p00 + c + k]! : borderValue;
        const v10 = inX0 && inY1 ? s[p10 + k]! : borderValue;
        const v11 = inX1 && inY1 ? s[p10 + c + k]! : borderValue;
        out[o + k] = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + half) >> REMAP_BITS;
      }
    }
  }
  return { data: out, width, height, channels: c };
}
