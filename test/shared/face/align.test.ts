import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ARCFACE_TEMPLATE_112, arcfaceTemplate, estimateSimilarity, normCrop } from "../../../shared/face/align.ts";
import type { Point } from "../../../shared/face/face-analyser.ts";
import type { AffineMatrix } from "../../../shared/image/warp-affine.ts";

const meta = JSON.parse(readFileSync(new URL("../../fixtures/golden/face/meta.json", import.meta.url), "utf8")) as {
  align: { kps: [number, number][]; M: number[][] }[];
  tolerance: { align_M_atol: number };
};

function apply(m: AffineMatrix, [x, y]: Point): Point {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

describe("estimateSimilarity", () => {
  it("matches skimage's SimilarityTransform on the golden keypoints", () => {
    for (const a of meta.align) {
      const m = estimateSimilarity(a.kps, arcfaceTemplate(112));
      const expected = a.M.flat();
      m.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(meta.tolerance.align_M_atol));
    }
  });

  it("recovers an exact similarity (rotation, scale, shift)", () => {
    const angle = 0.3, scale = 1.7;
    const truth: AffineMatrix = [scale * Math.cos(angle), -scale * Math.sin(angle), 12, scale * Math.sin(angle), scale * Math.cos(angle), -4];
    const src: Point[] = [[10, 20], [40, 22], [25, 35], [12, 50], [38, 52]];
    const m = estimateSimilarity(src, src.map((p) => apply(truth, p)));
    m.forEach((v, i) => expect(v).toBeCloseTo(truth[i]!, 10));
  });

  it("stays a rotation (never a reflection) for mirrored points, like Umeyama", () => {
    const src: Point[] = [[0, 0], [10, 0], [5, 8], [1, 12], [9, 12]];
    const mirrored = src.map(([x, y]) => [-x, y] as Point);
    const m = estimateSimilarity(src, mirrored);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThanOrEqual(0);
  });

  it("refuses degenerate input", () => {
    expect(() => estimateSimilarity([[1, 1], [1, 1]], [[0, 0], [1, 1]])).toThrow(RangeError);
    expect(() => estimateSimilarity([[1, 1]], [[0, 0]])).toThrow(RangeError);
  });
});

describe("arcfaceTemplate / normCrop", () => {
  it("scales the template for multiples of 112 and shifts it for multiples of 128", () => {
    expect(arcfaceTemplate(224)[0]).toEqual([ARCFACE_TEMPLATE_112[0]![0] * 2, ARCFACE_TEMPLATE_112[0]![1] * 2]);
    expect(arcfaceTemplate(128)[0]![0]).toBeCloseTo(ARCFACE_TEMPLATE_112[0]![0] + 8, 10);
    expect(() => arcfaceTemplate(100)).toThrow(RangeError);
  });

  it("puts the five keypoints onto the template and paints each at its template spot", () => {
    // A blank image with a bright dot at each keypoint: after alignment each dot is at the template point.
    const width = 300, height = 260;
    const rgb = new Uint8Array(width * height * 3);
    const kps: Point[] = [[120, 100], [180, 96], [152, 135], [126, 170], [176, 166]];
    for (const [x, y] of kps) for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) rgb.fill(255, ((y + dy) * width + x + dx) * 3, ((y + dy) * width + x + dx) * 3 + 3);
    const { crop, matrix } = normCrop({ rgb, width, height }, kps);
    expect([crop.width, crop.height]).toEqual([112, 112]);
    for (const [i, p] of kps.entries()) {
      const [u, v] = apply(matrix, p);
      const [tx, ty] = ARCFACE_TEMPLATE_112[i]!;
      expect(Math.hypot(u - tx, v - ty)).toBeLessThan(3);
      expect(crop.rgb[(Math.round(v) * 112 + Math.round(u)) * 3]).toBeGreaterThan(100);
    }
  });
});
