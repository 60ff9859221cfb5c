/** Golden runner for `draw_kps` cases: our control image against the reference kps.png, pixel by pixel. */
import { join } from "node:path";
import sharp from "sharp";
import { drawKps } from "../../../shared/keypoints/draw-kps.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";

export interface PixelAgreement {
  identicalFraction: number;
  maxAbsErr: number;
}

/** Fraction of pixels whose three channels all match, and the largest per-channel difference. */
export function comparePixels(actual: Uint8Array, expected: Uint8Array): PixelAgreement {
  if (actual.length !== expected.length || actual.length % 3 !== 0) {
    throw new Error(`image sizes differ: ${actual.length} vs ${expected.length} bytes`);
  }
  let identical = 0;
  let maxAbsErr = 0;
  for (let i = 0; i < actual.length; i += 3) {
    let same = true;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(actual[i + c] - expected[i + c]);
      if (d !== 0) same = false;
      if (d > maxAbsErr) maxAbsErr = d;
    }
    if (same) identical++;
  }
  return { identicalFraction: identical / (actual.length / 3), maxAbsErr };
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const { width, height, kps, tolerance } = c.meta as {
    width: number;
    height: number;
    kps: [number, number][];
    tolerance?: { identical_pixel_fraction_min?: number };
  };
  const minFraction = tolerance?.identical_pixel_fraction_min;
  if (typeof minFraction !== "number") throw new Error(`${c.name}: meta.json has no tolerance.identical_pixel_fraction_min`);

  const { data, info } = await sharp(join(c.path, "kps.png")).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`${c.name}: kps.png is ${info.width}x${info.height}x${info.channels}, meta says ${width}x${height}x3`);
  }
  const { identicalFraction, maxAbsErr } = comparePixels(drawKps(kps, width, height), new Uint8Array(data));
  return {
    case: c.name,
    component: c.component,
    maxAbsErr,
    atol: null,
    pass: identicalFraction >= minFraction,
    detail: { identicalFraction },
  };
}
