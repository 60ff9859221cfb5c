/** cv::ellipse2Poly (integer overload): the polygon OpenCV approximates an elliptic arc with. */
import type { Point } from "./rgb-canvas.ts";
import { SIN_TABLE } from "./sin-table.ts";

/** cvRound: round to nearest, ties to even (SSE2 cvtsd2si in the default rounding mode). */
export function cvRound(v: number): number {
  const r = Math.round(v);
  // Math.round sends ties up; a tie landing on an odd integer belongs to the even one below.
  const even = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return even === 0 ? 0 : even; // an int has no -0
}

/**
 * Vertices of the arc of the ellipse at `center` with half-axes `axes`, rotated by `angle` degrees,
 * from arcStart to arcEnd degrees in steps of `delta`, rounded to pixels, consecutive repeats dropped.
 * All arguments are integers, as OpenCV's int overload receives them.
 */
export function ellipse2Poly(
  center: Point,
  axes: { readonly width: number; readonly height: number },
  angle: number,
  arcStart: number,
  arcEnd: number,
  delta: number,
): Point[] {
  while (angle < 0) angle += 360;
  while (angle > 360) angle -= 360;
  if (arcStart > arcEnd) [arcStart, arcEnd] = [arcEnd, arcStart];
  while (arcStart < 0) {
    arcStart += 360;
    arcEnd += 360;
  }
  while (arcEnd > 360) {
    arcEnd -= 360;
    arcStart -= 360;
  }
  if (arcEnd - arcStart > 360) {
    arcStart = 0;
    arcEnd = 360;
  }
  // The rotation's cosine and sine are float32 table entries; every product is then in double.
  const alpha = SIN_TABLE[450 - angle];
  const beta = SIN_TABLE[angle];

  const pts: Point[] = [];
  let prev: Point | undefined;
  for (let i = arcStart; i < arcEnd + delta; i += delta) {
    let a = i > arcEnd ? arcEnd : i;
    if (a < 0) a += 360;
    const x = axes.width * SIN_TABLE[450 - a];
    const y = axes.height * SIN_TABLE[a];
    // Same operation order as OpenCV: (cx + x*alpha) - y*beta, (cy + x*beta) + y*alpha.
    const pt = { x: cvRound(center.x + x * alpha - y * beta), y: cvRound(center.y + x * beta + y * alpha) };
    if (prev === undefined || pt.x !== prev.x || pt.y !== prev.y) {
      pts.push(pt);
      prev = pt;
    }
  }
  // A degenerate arc collapses to one vertex; OpenCV then returns the centre twice.
  if (pts.length === 1) return [{ ...center }, { ...center }];
  return pts;
}
