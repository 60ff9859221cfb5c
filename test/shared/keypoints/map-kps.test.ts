import { describe, expect, it } from "vitest";
import { KeypointError } from "../../../shared/keypoints/keypoint-error.ts";
import { mapKpsToCanvas } from "../../../shared/keypoints/map-kps.ts";
import type { Keypoint } from "../../../shared/keypoints/draw-kps.ts";

const kps: Keypoint[] = [[10, 20], [30, 20], [20, 30], [12, 40], [28, 40]];

describe("mapKpsToCanvas", () => {
  it("scales x and y independently by the resize ratio", () => {
    const mapped = mapKpsToCanvas(kps, { width: 40, height: 50 }, { width: 80, height: 25 });
    expect(mapped).toEqual([[20, 10], [60, 10], [40, 15], [24, 20], [56, 20]]);
  });

  it("rejects empty or non-finite sizes and bad keypoints", () => {
    expect(() => mapKpsToCanvas(kps, { width: 0, height: 50 }, { width: 80, height: 80 })).toThrow(KeypointError);
    expect(() => mapKpsToCanvas(kps, { width: 40, height: 50 }, { width: 80, height: Number.NaN })).toThrow(KeypointError);
    expect(() => mapKpsToCanvas(kps.slice(1), { width: 40, height: 50 }, { width: 80, height: 80 })).toThrow(KeypointError);
  });
});
