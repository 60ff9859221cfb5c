import { describe, expect, it } from "vitest";
import { cvRound, ellipse2Poly } from "../../../shared/keypoints/ellipse-poly.ts";

describe("cvRound", () => {
  it("rounds halves to the even neighbour, like SSE2 cvtsd2si", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(cvRound)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]);
  });
});

describe("ellipse2Poly", () => {
  it("walks a full axis-aligned ellipse from +x through +y and closes on its start", () => {
    const pts = ellipse2Poly({ x: 50, y: 40 }, { width: 20, height: 4 }, 0, 0, 360, 1);
    expect(pts[0]).toEqual({ x: 70, y: 40 });
    expect(pts).toContainEqual({ x: 50, y: 44 });
    expect(pts).toContainEqual({ x: 30, y: 40 });
    expect(pts).toContainEqual({ x: 50, y: 36 });
    expect(pts[pts.length - 1]).toEqual(pts[0]);
    // Consecutive duplicates are dropped.
    for (let i = 1; i < pts.length; i++) expect(pts[i]).not.toEqual(pts[i - 1]);
  });

  it("rotates by the angle in degrees (90: the long axis is vertical)", () => {
    const pts = ellipse2Poly({ x: 0, y: 0 }, { width: 10, height: 2 }, 90, 0, 360, 1);
    expect(pts[0]).toEqual({ x: 0, y: 10 });
    expect(pts).toContainEqual({ x: 0, y: -10 });
    expect(Math.max(...pts.map((p) => Math.abs(p.x)))).toBe(2);
  });

  it("collapses a zero-size ellipse to its centre, twice", () => {
    expect(ellipse2Poly({ x: 3, y: 4 }, { width: 0, height: 0 }, 0, 0, 360, 1)).toEqual([
      { x: 3, y: 4 },
      { x: 3, y: 4 },
    ]);
  });
});
