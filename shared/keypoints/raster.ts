/**
 * OpenCV's integer rasterisation (imgproc/src/drawing.cpp) for the three primitives draw_kps uses,
 * reproduced step for step so the pixels match cv2 exactly: the 8-connected Bresenham line, the
 * convex-polygon scanline fill with 16.16 fixed-point edge walking, and the midpoint filled circle.
 * Only LINE_8 and shift = 0 are supported, which is what draw_kps calls them with.
 */
import type { Point, Rgb, RgbCanvas } from "./rgb-canvas.ts";

const XY_SHIFT = 16;
const XY_ONE = 1 << XY_SHIFT;
const HALF = XY_ONE >> 1;

/** C's `a / b` on integers: truncation toward zero (exact while |a| stays below 2^53). */
function cDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** `v >> XY_SHIFT` on an int64: floor division, without JS's 32-bit shift wrap-around. */
function fromFixed(v: number): number {
  return Math.floor(v / XY_ONE);
}

/** cv::clipLine: clip the segment to the canvas in place; false when nothing of it is inside. */
function clipLine(width: number, height: number, p1: { x: number; y: number }, p2: { x: number; y: number }): boolean {
  const right = width - 1;
  const bottom = height - 1;
  const code = (x: number, y: number) => (x < 0 ? 1 : 0) + (x > right ? 2 : 0) + (y < 0 ? 4 : 0) + (y > bottom ? 8 : 0);
  const xCode = (x: number) => (x < 0 ? 1 : 0) + (x > right ? 2 : 0);
  let c1 = code(p1.x, p1.y);
  let c2 = code(p2.x, p2.y);

  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    // The second end is cut using the first end as already moved, as OpenCV does.
    if (c1 & 12) {
      const a = c1 < 8 ? 0 : bottom;
      p1.x += cDiv((a - p1.y) * (p2.x - p1.x), p2.y - p1.y);
      p1.y = a;
      c1 = xCode(p1.x);
    }
    if (c2 & 12) {
      const a = c2 < 8 ? 0 : bottom;
      p2.x += cDiv((a - p2.y) * (p2.x - p1.x), p2.y - p1.y);
      p2.y = a;
      c2 = xCode(p2.x);
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        const a = c1 === 1 ? 0 : right;
        p1.y += cDiv((a - p1.x) * (p2.y - p1.y), p2.x - p1.x);
        p1.x = a;
        c1 = 0;
      }
      if (c2) {
        const a = c2 === 1 ? 0 : right;
        p2.y += cDiv((a - p2.x) * (p2.y - p1.y), p2.x - p1.x);
        p2.x = a;
        c2 = 0;
      }
    }
  }
  return (c1 | c2) === 0;
}

/** cv::line's thin 8-connected path (LineIterator, left to right), clipped to the canvas. */
export function drawLine(canvas: RgbCanvas, from: Point, to: Point, color: Rgb): void {
  const p1 = { x: from.x, y: from.y };
  const p2 = { x: to.x, y: to.y };
  if (!canvas.contains(p1.x, p1.y) || !canvas.contains(p2.x, p2.y)) {
    if (!clipLine(canvas.width, canvas.height, p1, p2)) return;
  }
  let dx = p2.x - p1.x;
  let dy = p2.y - p1.y;
  let x = p1.x;
  let y = p1.y;
  if (dx < 0) {
    dx = -dx;
    dy = -dy;
    x = p2.x;
    y = p2.y;
  }
  const yDir = dy < 0 ? -1 : 1;
  dy = Math.abs(dy);
  // Major axis: one step per pixel; minor axis: one step whenever the error goes negative.
  const steep = dy > dx;
  if (steep) [dx, dy] = [dy, dx];
  const major = steep ? { x: 0, y: yDir } : { x: 1, y: 0 };
  const minor = steep ? { x: 1, y: 0 } : { x: 0, y: yDir };

  let err = dx - 2 * dy;
  const plusDelta = 2 * dx;
  const minusDelta = -2 * dy;
  for (let i = 0; i <= dx; i++) {
    canvas.setPixel(x, y, color);
    const diagonal = err < 0;
    err += minusDelta + (diagonal ? plusDelta : 0);
    x += major.x + (diagonal ? minor.x : 0);
    y += major.y + (diagonal ? minor.y : 0);
  }
}

interface EdgeWalker {
  idx: number;
  readonly di: number;
  /** Current x, 16.16 fixed point. */
  x: number;
  dx: number;
  /** Row at which this edge ends and the next one must be fetched. */
  ye: number;
}

/**
 * cv::fillConvexPoly (LINE_8, shift 0): outline every edge with drawLine, then fill each row
 * between a left and a right edge walker that start at the topmost vertex and go opposite ways.
 */
export function fillConvexPoly(canvas: RgbCanvas, pts: readonly Point[], color: Rgb): void {
  const npts = pts.length;
  if (npts === 0) return;

  let imin = 0;
  let xmin = pts[0].x;
  let xmax = pts[0].x;
  let ymin = pts[0].y;
  let ymax = pts[0].y;
  let p0 = pts[npts - 1];
  for (let i = 0; i < npts; i++) {
    const p = pts[i];
    if (p.y < ymin) {
      ymin = p.y;
      imin = i;
    }
    ymax = Math.max(ymax, p.y);
    xmax = Math.max(xmax, p.x);
    xmin = Math.min(xmin, p.x);
    drawLine(canvas, p0, p, color);
    p0 = p;
  }
  if (npts < 3 || xmax < 0 || ymax < 0 || xmin >= canvas.width || ymin >= canvas.height) return;

  ymax = Math.min(ymax, canvas.height - 1);
  const edge: [EdgeWalker, EdgeWalker] = [
    { idx: imin, di: 1, x: -XY_ONE, dx: 0, ye: ymin },
    { idx: imin, di: npts - 1, x: -XY_ONE, dx: 0, ye: ymin },
  ];
  // One budget of edges shared by both walkers: when it runs out the polygon is closed.
  let edges = npts;
  let y = ymin;
  do {
    for (const e of edge) {
      if (y < e.ye) continue;
      let idx0 = e.idx;
      let idx = idx0 + e.di;
      if (idx >= npts) idx -= npts;
      while (edges-- > 0) {
        const ty = pts[idx].y;
        if (ty > y) {
          const xs = pts[idx0].x * XY_ONE;
          const xe = pts[idx].x * XY_ONE;
          e.ye = ty;
          // Slope per row, rounded to nearest in fixed point.
          e.dx = cDiv((xe - xs) * 2 + (ty - y), 2 * (ty - y));
          e.x = xs;
          e.idx = idx;
          break;
        }
        idx0 = idx;
        idx += e.di;
        if (idx >= npts) idx -= npts;
      }
    }
    if (edges < 0) break;

    if (y >= 0) {
      const [left, right] = edge[0].x > edge[1].x ? [edge[1], edge[0]] : [edge[0], edge[1]];
      let x1 = fromFixed(left.x + HALF);
      let x2 = fromFixed(right.x + HALF);
      if (x2 >= 0 && x1 < canvas.width) {
        if (x1 < 0) x1 = 0;
        if (x2 >= canvas.width) x2 = canvas.width - 1;
        canvas.fillSpan(y, x1, x2, color);
      }
    }
    edge[0].x += edge[0].dx;
    edge[1].x += edge[1].dx;
  } while (++y <= ymax);
}

/**
 * cv::circle with thickness -1 (LINE_8, shift 0): OpenCV's integer midpoint circle, filling the
 * four symmetric spans of each octant step, clipped to the canvas.
 */
export function fillCircle(canvas: RgbCanvas, center: Point, radius: number, color: Rgb): void {
  const { width, height } = canvas;
  const cx = center.x;
  const cy = center.y;
  let err = 0;
  let dx = radius;
  let dy = 0;
  let plus = 1;
  let minus = (radius << 1) - 1;
  const inside = cx >= radius && cx < width - radius && cy >= radius && cy < height - radius;

  while (dx >= dy) {
    const y11 = cy - dy;
    const y12 = cy + dy;
    const y21 = cy - dx;
    const y22 = cy + dx;
    let x11 = cx - dx;
    let x12 = cx + dx;
    let x21 = cx - dy;
    let x22 = cx + dy;

    if (inside) {
      canvas.fillSpan(y11, x11, x12, color);
      canvas.fillSpan(y12, x11, x12, color);
      canvas.fillSpan(y21, x21, x22, color);
      canvas.fillSpan(y22, x21, x22, color);
    } else if (x11 < width && x12 >= 0 && y21 < height && y22 >= 0) {
      x11 = Math.max(x11, 0);
      x12 = Math.min(x12, width - 1);
      if (y11 >= 0 && y11 < height) canvas.fillSpan(y11, x11, x12, color);
      if (y12 >= 0 && y12 < height) canvas.fillSpan(y12, x11, x12, color);
      if (x21 < width && x22 >= 0) {
        x21 = Math.max(x21, 0);
        x22 = Math.min(x22, width - 1);
        if (y21 >= 0 && y21 < height) canvas.fillSpan(y21, x21, x22, color);
        if (y22 >= 0 && y22 < height) canvas.fillSpan(y22, x21, x22, color);
      }
    }
    dy++;
    err += plus;
    plus += 2;
    // Step dx inward once the accumulated error turns positive.
    if (err > 0) {
      err -= minus;
      dx--;
      minus -= 2;
    }
  }
}
