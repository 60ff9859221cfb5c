import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { rasterOf, type Raster } from "../../../shared/image/raster.ts";
import { invertAffine, warpAffine, type AffineMatrix } from "../../../shared/image/warp-affine.ts";

const golden = new URL("../../fixtures/golden/face/", import.meta.url);
const meta = JSON.parse(readFileSync(new URL("meta.json", golden), "utf8")) as {
  photo: string;
  align: { M: number[][]; crop: string }[];
};

function ramp(width: number, height: number): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 200], (y * width + x) * 3);
  return { data, width, height, channels: 3 };
}

describe("warpAffine", () => {
  it("reproduces cv2.warpAffine's crops bit for bit, given the reference matrix", async () => {
    const image = await decodeImage(readFileSync(new URL(`../../faces/${meta.photo}`, golden)));
    for (const a of meta.align) {
      const expected = await sharp(readFileSync(new URL(a.crop, golden))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const out = warpAffine(rasterOf(image), a.M.flat() as unknown as AffineMatrix, expected.info.width, expected.info.height);
      expect(Buffer.compare(Buffer.from(out.data), expected.data)).toBe(0);
    }
  });

  it("is the identity for the identity matrix and shifts by whole pixels exactly", () => {
    const src = ramp(8, 6);
    expect(warpAffine(src, [1, 0, 0, 0, 1, 0], 8, 6).data).toEqual(src.data);
    const shifted = warpAffine(src, [1, 0, -2, 0, 1, -1], 8, 6);
    // dst(x, y) = src(x + 2, y + 1)
    expect(Array.from(shifted.data.subarray(0, 3))).toEqual(Array.from(src.data.subarray((1 * 8 + 2) * 3, (1 * 8 + 2) * 3 + 3)));
  });

  it("fills what lies outside the source with the border value 0", () => {
    const out = warpAffine(ramp(4, 4), [1, 0, 10, 0, 1, 10], 4, 4);
    expect(out.data.every((v) => v === 0)).toBe(true);
  });

  it("interpolates half a pixel as the mean of the neighbours", () => {
    const out = warpAffine(ramp(8, 2), [1, 0, -0.5, 0, 1, 0], 4, 1);
    expect(out.data[0]).toBe(5); // between x=0 (0) and x=1 (10)
  });

  it("inverts a matrix as A^-1", () => {
    const m: AffineMatrix = [0.5, 0.1, 3, -0.1, 0.5, -2];
    const inv = invertAffine(m);
    const [x, y] = [7, 11];
    const u = m[0] * x + m[1] * y + m[2];
    const v = m[3] * x + m[4] * y + m[5];
    expect(inv[0] * u + inv[1] * v + inv[2]).toBeCloseTo(x, 10);
    expect(inv[3] * u + inv[4] * v + inv[5]).toBeCloseTo(y, 10);
  });
});
