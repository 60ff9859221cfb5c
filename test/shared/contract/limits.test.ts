import { describe, expect, it } from "vitest";
import { instantIdOutputSize } from "../../../shared/contract/limits.ts";

describe("instantIdOutputSize (the demo's resize_img)", () => {
  it("brings the long side to at most 1280 in multiples of 64, keeping the aspect ratio", () => {
    for (const [w, h] of [[512, 512], [640, 480], [480, 640], [3000, 2000], [333, 1000], [1024, 1280]]) {
      const s = instantIdOutputSize(w, h);
      expect(s.width % 64).toBe(0);
      expect(s.height % 64).toBe(0);
      expect(Math.max(s.width, s.height)).toBeLessThanOrEqual(1280);
      expect(Math.max(s.width, s.height)).toBeGreaterThan(1280 - 64);
      expect(Math.abs(s.width / s.height - w / h) / (w / h)).toBeLessThan(0.1);
    }
  });

  it("maps a square photo to the square 1280 canvas", () => {
    expect(instantIdOutputSize(700, 700)).toEqual({ width: 1280, height: 1280 });
  });
});
