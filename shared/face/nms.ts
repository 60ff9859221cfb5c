/**
 * Greedy non-maximum suppression as insightface's SCRFD.nms: visit boxes by descending score,
 * keep one, drop every remaining box whose IoU with it exceeds the threshold. Areas use
 * insightface's "+1" pixel convention.
 */
import type { Box } from "./face-candidate.ts";

/** Indices of the kept boxes, in descending score order (ties: the later index first, as a reversed argsort). */
export function nms(boxes: readonly Box[], scores: ArrayLike<number>, iouThreshold: number): number[] {
  const order = boxes.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || b - a);
  const area = boxes.map(([x1, y1, x2, y2]) => (x2 - x1 + 1) * (y2 - y1 + 1));
  const suppressed = new Uint8Array(boxes.length);
  const keep: number[] = [];
  for (let oi = 0; oi < order.length; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const [ax1, ay1, ax2, ay2] = boxes[i]!;
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj]!;
      if (suppressed[j]) continue;
      const [bx1, by1, bx2, by2] = boxes[j]!;
      const w = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1) + 1);
      const h = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1) + 1);
      const inter = w * h;
      if (inter / (area[i]! + area[j]! - inter) > iouThreshold) suppressed[j] = 1;
    }
  }
  return keep;
}
