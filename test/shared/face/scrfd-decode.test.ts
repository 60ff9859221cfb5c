import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { scrfdDecode, scrfdGeometry, SCRFD_DEFAULTS, type ScrfdOutputs } from "../../../shared/face/scrfd-decode.ts";
import { nms } from "../../../shared/face/nms.ts";
import { maxAbsDiff } from "../../../shared/tensor/tensor.ts";

const caseDir = fileURLToPath(new URL("../../fixtures/golden/face/", import.meta.url));
const meta = JSON.parse(readFileSync(join(caseDir, "meta.json"), "utf8")) as {
  scrfd: { file: string; image_width: number; image_height: number; det_size: number; det_thresh: number; nms_thresh: number }[];
  tolerance: { scrfd_boxes_kps_atol: number };
};

function planted(file: string): { outputs: ScrfdOutputs; boxes: Float32Array; kps: Float32Array; count: number } {
  const f = SafetensorsFile.open(join(caseDir, file));
  const raw = (i: number) => f.readFloat32(`raw${i}`).data;
  const boxes = f.readFloat32("boxes");
  const result = {
    outputs: { scores: [raw(0), raw(1), raw(2)], bboxes: [raw(3), raw(4), raw(5)], kps: [raw(6), raw(7), raw(8)] },
    boxes: boxes.data,
    kps: f.readFloat32("kps").data,
    count: boxes.shape[0]!,
  };
  f.close();
  return result;
}

describe("scrfdGeometry", () => {
  it("fits the longer side to det_size and keeps the aspect ratio (insightface's int truncation)", () => {
    expect(scrfdGeometry(1280, 960, 640)).toEqual({ width: 640, height: 480, scale: 0.5 });
    expect(scrfdGeometry(600, 800, 640)).toEqual({ width: 480, height: 640, scale: 0.8 });
    expect(scrfdGeometry(1000, 333, 640).height).toBe(Math.trunc(640 * (333 / 1000)));
  });
});

describe("scrfdDecode", () => {
  for (const s of meta.scrfd) {
    it(`reproduces insightface's boxes, scores and keypoints for ${s.file}`, () => {
      const p = planted(s.file);
      const faces = scrfdDecode(p.outputs, {
        inputWidth: s.det_size,
        inputHeight: s.det_size,
        strides: SCRFD_DEFAULTS.strides,
        numAnchors: SCRFD_DEFAULTS.numAnchors,
        scoreThreshold: s.det_thresh,
        nmsThreshold: s.nms_thresh,
        scale: scrfdGeometry(s.image_width, s.image_height, s.det_size).scale,
      });
      expect(faces.length).toBe(p.count);
      expect(maxAbsDiff(faces.flatMap((f) => [...f.box, f.score]), p.boxes)).toBeLessThanOrEqual(meta.tolerance.scrfd_boxes_kps_atol);
      expect(maxAbsDiff(faces.flatMap((f) => f.kps!.flat()), p.kps)).toBeLessThanOrEqual(meta.tolerance.scrfd_boxes_kps_atol);
    });
  }

  it("drops candidates under the score threshold", () => {
    const s = meta.scrfd[0]!;
    const p = planted(s.file);
    const opts = {
      inputWidth: s.det_size, inputHeight: s.det_size, strides: SCRFD_DEFAULTS.strides, numAnchors: 2,
      nmsThreshold: s.nms_thresh, scale: scrfdGeometry(s.image_width, s.image_height, s.det_size).scale,
    };
    const all = scrfdDecode(p.outputs, { ...opts, scoreThreshold: s.det_thresh });
    const strict = scrfdDecode(p.outputs, { ...opts, scoreThreshold: all[0]!.score });
    expect(strict.length).toBeLessThan(all.length);
    expect(strict.every((f) => f.score >= all[0]!.score)).toBe(true);
  });

  it("refuses outputs that do not match the grid", () => {
    const p = planted(meta.scrfd[0]!.file);
    expect(() =>
      scrfdDecode(p.outputs, { inputWidth: 320, inputHeight: 320, strides: [8, 16, 32], numAnchors: 2, scoreThreshold: 0.5, nmsThreshold: 0.4, scale: 1 }),
    ).toThrow(RangeError);
  });
});

describe("nms", () => {
  it("keeps the best of overlapping boxes and every separate one, best first", () => {
    const boxes = [
      [0, 0, 10, 10],
      [1, 1, 11, 11],
      [50, 50, 60, 60],
      [0, 0, 10, 10.5],
    ] as const;
    expect(nms(boxes, [0.8, 0.9, 0.7, 0.6], 0.4)).toEqual([1, 2]);
    expect(nms(boxes, [0.8, 0.9, 0.7, 0.6], 0.99)).toEqual([1, 0, 2, 3]);
  });
});
