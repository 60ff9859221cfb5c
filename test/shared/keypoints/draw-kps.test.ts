import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { drawKps, MAX_CANVAS_SIDE, MAX_KEYPOINT_MAGNITUDE, type Keypoint } from "../../../shared/keypoints/draw-kps.ts";
import { KeypointError } from "../../../shared/keypoints/keypoint-error.ts";
import { runGoldenCase } from "../../golden/runner.ts";

const GOLDEN = "test/fixtures/golden/draw_kps_0";
const meta = JSON.parse(readFileSync(`${GOLDEN}/meta.json`, "utf8")) as { kps: Keypoint[]; width: number; height: number };

function pixel(img: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 3;
  return [img[i], img[i + 1], img[i + 2]];
}

function expectKeypointError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KeypointError);
  expect((caught as KeypointError).code).toBe(code);
}

describe("drawKps", () => {
  it("reproduces the reference control image pixel for pixel", async () => {
    const result = await runGoldenCase(GOLDEN);
    expect(result.reason).toBeUndefined();
    expect(result.pass).toBe(true);
    expect(result.detail?.identicalFraction).toBe(1);
    expect(result.maxAbsErr).toBe(0);
  });

  it("returns width * height RGB bytes with limbs dimmed to 60% and full-colour dots", () => {
    const img = drawKps(meta.kps, meta.width, meta.height);
    expect(img.length).toBe(meta.width * meta.height * 3);
    // Each keypoint's own pixel carries its dot colour at full strength.
    const dots = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255]];
    meta.kps.forEach(([x, y], i) => expect(pixel(img, meta.width, Math.trunc(x), Math.trunc(y))).toEqual(dots[i]));
    // Midway from the left eye to the nose is limb 0, dimmed red.
    const [[x0, y0], , [x2, y2]] = meta.kps;
    expect(pixel(img, meta.width, Math.trunc((x0 + x2) / 2), Math.trunc((y0 + y2) / 2))).toEqual([153, 0, 0]);
  });

  it("clips a keypoint just off the canvas: its dot and limb show up to the border", () => {
    const kps: Keypoint[] = [[-5, 32], [50, 20], [32, 32], [20, 50], [44, 50]];
    const img = drawKps(kps, 64, 64);
    expect(pixel(img, 64, 0, 32)).toEqual([255, 0, 0]); // dot of the off-canvas eye
    expect(pixel(img, 64, 12, 32)).toEqual([153, 0, 0]); // its limb, past the dot
  });

  it("draws nothing for keypoints far off the canvas, without failing", () => {
    const far: Keypoint[] = [[-5000, -5000], [9000, -4000], [-3000, 8000], [7000, 7000], [100000, -100000]];
    const img = drawKps(far, 32, 32);
    expect(img.every((v) => v === 0)).toBe(true);
  });

  it("rejects anything but five points", () => {
    expectKeypointError(() => drawKps(meta.kps.slice(0, 4), 64, 64), "wrong_count");
    expectKeypointError(() => drawKps([...meta.kps, [1, 1]], 64, 64), "wrong_count");
    expectKeypointError(() => drawKps("kps" as unknown as Keypoint[], 64, 64), "wrong_count");
  });

  it("rejects malformed points", () => {
    const bad = [...meta.kps] as unknown[];
    bad[2] = [1, 2, 3];
    expectKeypointError(() => drawKps(bad as Keypoint[], 64, 64), "not_a_point");
    bad[2] = ["1", 2];
    expectKeypointError(() => drawKps(bad as Keypoint[], 64, 64), "not_a_point");
  });

  it("rejects non-finite and absurdly distant coordinates", () => {
    for (const [v, code] of [
      [Number.NaN, "not_finite"],
      [Number.POSITIVE_INFINITY, "not_finite"],
      [MAX_KEYPOINT_MAGNITUDE + 1, "out_of_range"],
      [-MAX_KEYPOINT_MAGNITUDE - 1, "out_of_range"],
    ] as const) {
      const kps = meta.kps.map((p) => [...p] as [number, number]);
      kps[3] = [10, v];
      expectKeypointError(() => drawKps(kps, 64, 64), code);
    }
  });

  it("rejects canvas sizes that are not positive integers within the limit", () => {
    for (const [w, h] of [[0, 64], [64, -1], [64.5, 64], [64, Number.NaN], [MAX_CANVAS_SIDE + 1, 64]]) {
      expectKeypointError(() => drawKps(meta.kps, w, h), "bad_size");
    }
  });
});
