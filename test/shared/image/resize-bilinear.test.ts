import { describe, expect, it } from "vitest";
import { cropRaster, rgbToGray, type Raster } from "../../../shared/image/raster.ts";
import { resizeBilinear } from "../../../shared/image/resize-bilinear.ts";

function gray(width: number, height: number, value: (x: number, y: number) => number): Raster {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { data, width, height, channels: 1 };
}

describe("resizeBilinear", () => {
  it("keeps the image at the same size", () => {
    const src = gray(5, 4, (x, y) => x * 40 + y * 7);
    expect(resizeBilinear(src, 5, 4).data).toEqual(src.data);
  });

  it("halves by averaging 2x2 blocks (pixel-centre geometry, as cv2.resize)", () => {
    const src = gray(4, 2, (x) => [0, 100, 200, 50][x]!);
    expect(Array.from(resizeBilinear(src, 2, 1).data)).toEqual([50, 125]);
  });

  it("doubles with edge pixels clamped and midpoints blended 1:3", () => {
    const src = gray(2, 1, (x) => [0, 200][x]!);
    expect(Array.from(resizeBilinear(src, 4, 1).data)).toEqual([0, 50, 150, 200]);
  });

  it("resizes each channel independently", () => {
    const src: Raster = { data: new Uint8Array([10, 20, 30, 50, 60, 70]), width: 2, height: 1, channels: 3 };
    expect(Array.from(resizeBilinear(src, 1, 1).data)).toEqual([30, 40, 50]);
  });

  it("refuses a non-integer or empty target", () => {
    expect(() => resizeBilinear(gray(2, 2, () => 0), 0, 2)).toThrow(RangeError);
    expect(() => resizeBilinear(gray(2, 2, () => 0), 1.5, 2)).toThrow(RangeError);
  });
});

describe("raster helpers", () => {
  it("crops a rectangle and refuses one outside the image", () => {
    const src = gray(4, 3, (x, y) => y * 4 + x);
    expect(Array.from(cropRaster(src, 1, 1, 2, 2).data)).toEqual([5, 6, 9, 10]);
    expect(() => cropRaster(src, 3, 0, 2, 1)).toThrow(RangeError);
  });

  it("converts RGB to luma with BT.601 weights", () => {
    const rgb: Raster = { data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), width: 4, height: 1, channels: 3 };
    expect(Array.from(rgbToGray(rgb).data)).toEqual([76, 150, 29, 255]);
  });
});
