import { describe, expect, it } from "vitest";
import { mapKeypoints } from "../../../../functions/services/generations/map-keypoints.ts";

describe("mapKeypoints", () => {
  it("scales each axis from the photo size to the canvas size, as resizing the photo would", () => {
    const kps = [[100, 50], [300, 50], [200, 100], [120, 150], [280, 150]] as const;
    const out = mapKeypoints(kps, { width: 400, height: 200 }, { width: 1024, height: 640 });
    kps.forEach(([x, y], i) => {
      expect(out[i][0]).toBeCloseTo((x / 400) * 1024, 10);
      expect(out[i][1]).toBeCloseTo((y / 200) * 640, 10);
    });
  });
});
