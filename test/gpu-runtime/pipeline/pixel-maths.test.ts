import { describe, expect, it } from "vitest";
import { rgbHwcToUnitChw } from "../../../gpu-runtime/pipeline/control-image.ts";
import { decodedToUnitHwc, unitToBytes } from "../../../gpu-runtime/pipeline/decoded-image.ts";
import { classifierFreeGuidance, usesGuidance } from "../../../gpu-runtime/pipeline/guidance.ts";
import { sdxlTimeIds } from "../../../gpu-runtime/pipeline/time-ids.ts";

describe("decoded image", () => {
  it("maps [-1, 1] CHW to clamped [0, 1] HWC", () => {
    // 2x1 image, planes R, G, B.
    const chw = Float32Array.from([-1, 3, 0, 0.5, 1, -7]);
    expect(Array.from(decodedToUnitHwc(chw, 2, 1))).toEqual([0, 0.5, 1, 1, 0.75, 0]);
    expect(() => decodedToUnitHwc(chw, 3, 1)).toThrow(RangeError);
  });

  it("rounds x * 255 half to even, as numpy does", () => {
    // 0.5/255 * 255 = 0.5 -> 0; 1.5/255 * 255 = 1.5 -> 2.
    expect(Array.from(unitToBytes(Float32Array.from([0, 1, 0.5 / 255, 1.5 / 255, 0.2])))).toEqual([0, 255, 0, 2, 51]);
  });
});

describe("control image", () => {
  it("turns RGB bytes (HWC) into [0, 1] planes (CHW)", () => {
    const hwc = Uint8Array.from([255, 0, 51, 0, 255, 102]);
    expect(Array.from(rgbHwcToUnitChw(hwc, 2, 1))).toEqual([1, 0, 0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
    expect(() => rgbHwcToUnitChw(hwc, 1, 1)).toThrow(RangeError);
  });
});

describe("classifier-free guidance", () => {
  it("is uncond + scale * (cond - uncond), used only above 1", () => {
    expect(Array.from(classifierFreeGuidance(Float32Array.from([1, -2]), Float32Array.from([3, 2]), 5))).toEqual([11, 18]);
    expect([usesGuidance(1), usesGuidance(1.5), usesGuidance(0)]).toEqual([false, true, false]);
    expect(() => classifierFreeGuidance(new Float32Array(2), new Float32Array(3), 2)).toThrow(RangeError);
  });
});

describe("SDXL time ids", () => {
  it("are (original h, w), crop (0, 0), (target h, w)", () => {
    expect(Array.from(sdxlTimeIds(1280, 1024))).toEqual([1024, 1280, 0, 0, 1024, 1280]);
  });
});
