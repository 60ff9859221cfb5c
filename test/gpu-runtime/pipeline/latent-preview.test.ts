import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodePreview, latentRgbMapFor, latentToRgb } from "../../../gpu-runtime/pipeline/latent-preview.ts";

describe("latent preview", () => {
  it("applies the pack's linear map per latent cell and clamps", () => {
    // 2 channels: R = c0, G = -c1, B = 0.5 (bias); output (v + 1) / 2.
    const map = latentRgbMapFor(2, [1, 0, 0, -1, 0, 0, 0, 0, 0.5]);
    const latent = Float32Array.from([1, -1, /* c1 */ 0, 0.5]);
    expect(Array.from(latentToRgb(latent, 2, 2, 1, map))).toEqual([255, 128, 191, 0, 64, 191]);
  });

  it("refuses previewFactors of the wrong length and falls back for unknown latent spaces", () => {
    expect(() => latentRgbMapFor(4, [1, 2, 3])).toThrow(RangeError);
    expect(latentRgbMapFor(4).weights).toHaveLength(12);
    expect(latentRgbMapFor(16).weights).toHaveLength(48);
  });

  it("encodes a JPEG with the output's aspect ratio within maxSide", async () => {
    const latent = new Float32Array(4 * 8 * 12).map((_, i) => Math.sin(i));
    const p = await encodePreview(latent, 4, 12, 8, 96, 64, 48, latentRgbMapFor(4));
    expect([p.width, p.height]).toEqual([48, 32]);
    const meta = await sharp(p.jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 48, 32]);
  });
});
