import { describe, expect, it } from "vitest";
import type { Point } from "../../../../shared/face/face-analyser.ts";
import { fivePointsFrom68, landmarkCrop, landmarksToImage } from "../../../../shared/face/lite/landmark68.ts";

describe("landmark68 helpers", () => {
  it("reduces the 68 points to eye centres, nose tip and mouth corners", () => {
    const pts: Point[] = Array.from({ length: 68 }, (_, i) => [i, 100 + i]);
    const [le, re, nose, ml, mr] = fivePointsFrom68(pts);
    expect(le).toEqual([38.5, 138.5]); // mean of 36..41
    expect(re).toEqual([44.5, 144.5]); // mean of 42..47
    expect(nose).toEqual([30, 130]);
    expect(ml).toEqual([48, 148]);
    expect(mr).toEqual([54, 154]);
  });

  it("crops a square of the box height around its centre, kept inside the image", () => {
    expect(landmarkCrop([100, 50, 160, 130], 640, 480)).toEqual({ x: 90, y: 50, width: 80, height: 80 });
    expect(landmarkCrop([0, 0, 30, 60], 640, 480)).toEqual({ x: 0, y: 0, width: 60, height: 60 });
    expect(landmarkCrop([600, 400, 640, 480], 640, 480)).toEqual({ x: 560, y: 400, width: 80, height: 80 });
    // A sliver of a box still gives a 1-pixel crop inside the image, never an empty or outside one.
    expect(landmarkCrop([63.5, 63.6, 64, 63.8], 64, 64)).toEqual({ x: 63, y: 63, width: 1, height: 1 });
  });

  it("maps relative outputs into the crop's pixels", () => {
    const out = new Float32Array(136);
    out[0] = 0.5;
    out[1] = 0.25;
    expect(landmarksToImage(out, { x: 10, y: 20, width: 80, height: 40 })[0]).toEqual([50, 30]);
    expect(() => landmarksToImage(new Float32Array(10), { x: 0, y: 0, width: 1, height: 1 })).toThrow(RangeError);
  });
});
