/**
 * InstantID's `draw_kps`: the IdentityNet control image for five face keypoints (left eye, right eye,
 * nose, left mouth corner, right mouth corner). Each eye and mouth corner is joined to the nose by a
 * thin filled ellipse, the limbs are dimmed to 60%, then every keypoint gets a radius-10 dot.
 * Pixel-exact with the reference, which rasterises with OpenCV (see raster.ts).
 */
import { ellipse2Poly } from "./ellipse-poly.ts";
import { KeypointError } from "./keypoint-error.ts";
import { fillCircle, fillConvexPoly } from "./raster.ts";
import { RgbCanvas, type Rgb } from "./rgb-canvas.ts";

export type Keypoint = readonly [number, number];

/** Largest canvas side accepted (SDXL works at about 1024; this leaves room without runaway memory). */
export const MAX_CANVAS_SIDE = 8192;
/** Keypoints may lie off the canvas (they are clipped) but not so far that OpenCV's int32 maths would overflow. */
export const MAX_KEYPOINT_MAGNITUDE = 1_000_000;

const KEYPOINT_COUNT = 5;
const COLORS: readonly Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [255, 0, 255],
];
/** Eyes and mouth corners to the nose; a limb takes the colour of its first keypoint. */
const LIMBS: readonly (readonly [number, number])[] = [
  [0, 2],
  [1, 2],
  [3, 2],
  [4, 2],
];
const STICK_WIDTH = 4;
const LIMB_BRIGHTNESS = 0.6;
const DOT_RADIUS = 10;

export function validateCanvasSize(width: number, height: number): void {
  for (const [name, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > MAX_CANVAS_SIDE) {
      throw new KeypointError("bad_size", `${name} must be an integer in 1..${MAX_CANVAS_SIDE}, got ${String(v)}`);
    }
  }
}

export function validateKeypoints(kps: unknown): asserts kps is readonly Keypoint[] {
  if (!Array.isArray(kps) || kps.length !== KEYPOINT_COUNT) {
    throw new KeypointError("wrong_count", `expected ${KEYPOINT_COUNT} keypoints, got ${Array.isArray(kps) ? kps.length : typeof kps}`);
  }
  kps.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "number" || typeof p[1] !== "number") {
      throw new KeypointError("not_a_point", `keypoint ${i} must be an [x, y] pair of numbers`);
    }
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new KeypointError("not_finite", `keypoint ${i} is not finite: [${p[0]}, ${p[1]}]`);
    }
    if (Math.abs(p[0]) > MAX_KEYPOINT_MAGNITUDE || Math.abs(p[1]) > MAX_KEYPOINT_MAGNITUDE) {
      throw new KeypointError("out_of_range", `keypoint ${i} is beyond ±${MAX_KEYPOINT_MAGNITUDE}: [${p[0]}, ${p[1]}]`);
    }
  });
}

/** Draw the control image; returns RGB bytes, HWC, width * height * 3 long. */
export function drawKps(kps: readonly Keypoint[], width: number, height: number): Uint8Array {
  validateKeypoints(kps);
  validateCanvasSize(width, height);
  const canvas = new RgbCanvas(width, height);

  for (const [a, b] of LIMBS) {
    const [xa, ya] = kps[a];
    const [xb, yb] = kps[b];
    const length = Math.sqrt((xa - xb) * (xa - xb) + (ya - yb) * (ya - yb));
    const angle = Math.atan2(ya - yb, xa - xb) * (180 / Math.PI);
    // Python's int() truncates toward zero; the polygon is built from those integers.
    const polygon = ellipse2Poly(
      { x: Math.trunc((xa + xb) / 2), y: Math.trunc((ya + yb) / 2) },
      { width: Math.trunc(length / 2), height: STICK_WIDTH },
      Math.trunc(angle),
      0,
      360,
      1,
    );
    fillConvexPoly(canvas, polygon, COLORS[a]);
  }

  // The reference scales a float image and casts to uint8, i.e. truncates.
  const data = canvas.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.trunc(data[i] * LIMB_BRIGHTNESS);

  kps.forEach(([x, y], i) => fillCircle(canvas, { x: Math.trunc(x), y: Math.trunc(y) }, DOT_RADIUS, COLORS[i]));
  return data;
}
