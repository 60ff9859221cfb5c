import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SafetensorsFile } from "../../../../shared/checkpoint/safetensors.ts";
import { ScrfdDetector, SCRFD_MEAN, SCRFD_STD } from "../../../../shared/face/antelopev2/scrfd-detector.ts";
import { FaceAnalysisError } from "../../../../shared/face/face-analysis-error.ts";
import type { FaceSession } from "../../../../shared/face/face-session.ts";
import type { Tensor } from "../../../../shared/tensor/tensor.ts";
import { maxAbsDiff } from "../../../../shared/tensor/tensor.ts";

const caseDir = fileURLToPath(new URL("../../../fixtures/golden/face/", import.meta.url));
const meta = JSON.parse(readFileSync(join(caseDir, "meta.json"), "utf8")) as {
  scrfd: { file: string; image_width: number; image_height: number; det_size: number; det_thresh: number; nms_thresh: number }[];
  tolerance: { scrfd_boxes_kps_atol: number };
};

/** A stand-in for det_10g.onnx that answers with the planted raw outputs and records what it was fed. */
function plantedSession(file: string, batched: boolean) {
  const f = SafetensorsFile.open(join(caseDir, file));
  const outputNames = ["448", "471", "494", "451", "474", "497", "454", "477", "500"]; // det_10g's own names, in its order
  const outputs: Record<string, Tensor> = {};
  outputNames.forEach((name, i) => {
    const t = f.readFloat32(`raw${i}`);
    outputs[name] = { ...t, shape: batched ? [1, ...t.shape] : t.shape };
  });
  const expected = { boxes: f.readFloat32("boxes").data, kps: f.readFloat32("kps").data };
  f.close();
  const fed: Record<string, Tensor>[] = [];
  const session: FaceSession = {
    provider: "cpu",
    inputNames: ["input.1"],
    outputNames,
    async run(feeds) {
      fed.push(feeds);
      return outputs;
    },
    async release() {},
  };
  return { session, fed, expected };
}

describe("ScrfdDetector", () => {
  for (const batched of [false, true]) {
    it(`letterboxes, normalises and decodes in insightface's output order (${batched ? "batched" : "unbatched"} export)`, async () => {
      const s = meta.scrfd[0]!;
      const { session, fed, expected } = plantedSession(s.file, batched);
      const detector = new ScrfdDetector(session, { detSize: s.det_size, scoreThreshold: s.det_thresh, nmsThreshold: s.nms_thresh });
      const rgb = new Uint8Array(s.image_width * s.image_height * 3).fill(255);
      const faces = await detector.detect({ rgb, width: s.image_width, height: s.image_height });

      const input = fed[0]!["input.1"]!;
      expect(input.shape).toEqual([1, 3, s.det_size, s.det_size]);
      const data = input.data as Float32Array;
      expect(data[0]).toBeCloseTo((255 - SCRFD_MEAN) / SCRFD_STD, 6); // image pixel, top-left
      expect(data[s.det_size * s.det_size - 1]).toBeCloseTo((0 - SCRFD_MEAN) / SCRFD_STD, 6); // padding, bottom-right

      expect(maxAbsDiff(faces.flatMap((f) => [...f.box, f.score]), expected.boxes)).toBeLessThanOrEqual(meta.tolerance.scrfd_boxes_kps_atol);
      expect(maxAbsDiff(faces.flatMap((f) => f.kps!.flat()), expected.kps)).toBeLessThanOrEqual(meta.tolerance.scrfd_boxes_kps_atol);
    });
  }

  it("refuses a detector without keypoint outputs", () => {
    const { session } = plantedSession(meta.scrfd[0]!.file, false);
    const noKps: FaceSession = { ...session, outputNames: session.outputNames.slice(0, 6) };
    expect(() => new ScrfdDetector(noKps, { detSize: 640, scoreThreshold: 0.5, nmsThreshold: 0.4 })).toThrow(FaceAnalysisError);
  });
});
