/**
 * fr_detect.onnx: the Ultra-Light-Fast-Generic-Face-Detector (RFB, 320x240). The whole photo is
 * resized (not letterboxed) to 320x240, normalised (x - 127) / 128 in RGB as the network was
 * trained (faceplugin's JS feeds BGR by accident of opencv.js's RGBA canvas; RGB scores higher on
 * real faces). The graph already decodes its priors: `boxes` are corner-form, relative to the
 * image; `scores` are softmaxed (background, face).
 */
import { runRows, type FaceSession } from "../face-session.ts";
import { resizeBilinear } from "../../image/resize-bilinear.ts";
import { rasterOf } from "../../image/raster.ts";
import type { DecodedImage } from "../face-analyser.ts";
import { planarInput } from "../face-embedder.ts";
import type { Box, FaceCandidate } from "../face-candidate.ts";
import { nms } from "../nms.ts";

export const ULTRALIGHT_INPUT = { width: 320, height: 240 } as const;

export interface UltraLightOptions {
  /** Face probability to keep a box (faceplugin: 0.65; the original repo: 0.7). */
  readonly scoreThreshold: number;
  readonly nmsThreshold: number;
}

export const ULTRALIGHT_DEFAULTS: UltraLightOptions = { scoreThreshold: 0.7, nmsThreshold: 0.4 };

export function ultraLightInput(image: DecodedImage) {
  const small = resizeBilinear(rasterOf(image), ULTRALIGHT_INPUT.width, ULTRALIGHT_INPUT.height);
  return planarInput({ rgb: small.data, width: small.width, height: small.height }, 127, 128);
}

/** Boxes in image pixels (clipped to the image), score-descending after NMS; no keypoints. */
export function ultraLightDecode(
  scores: Float32Array,
  boxes: Float32Array,
  imageWidth: number,
  imageHeight: number,
  opts: UltraLightOptions,
): FaceCandidate[] {
  const n = scores.length / 2;
  if (!Number.isInteger(n) || boxes.length !== n * 4) throw new RangeError(`ultraLightDecode: ${scores.length} scores vs ${boxes.length} box values`);
  const kept: Box[] = [];
  const keptScores: number[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores[2 * i + 1]!;
    if (!(score >= opts.scoreThreshold)) continue;
    const x1 = clamp(boxes[4 * i]! * imageWidth, 0, imageWidth);
    const y1 = clamp(boxes[4 * i + 1]! * imageHeight, 0, imageHeight);
    const x2 = clamp(boxes[4 * i + 2]! * imageWidth, 0, imageWidth);
    const y2 = clamp(boxes[4 * i + 3]! * imageHeight, 0, imageHeight);
    if (!(x2 > x1 && y2 > y1)) continue;
    kept.push([x1, y1, x2, y2]);
    keptScores.push(score);
  }
  return nms(kept, keptScores, opts.nmsThreshold).map((i) => ({ box: kept[i]!, score: keptScores[i]!, kps: null }));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export class UltraLightDetector {
  constructor(
    private readonly session: FaceSession,
    readonly options: UltraLightOptions = ULTRALIGHT_DEFAULTS,
  ) {}

  async detect(image: DecodedImage): Promise<FaceCandidate[]> {
    const out = await this.session.run({ input: ultraLightInput(image) });
    const scores = out.scores?.data;
    const boxes = out.boxes?.data;
    if (!(scores instanceof Float32Array) || !(boxes instanceof Float32Array)) throw new TypeError("fr_detect: expected float32 `scores` and `boxes` outputs");
    return ultraLightDecode(scores, boxes, image.width, image.height, this.options);
  }

  /** detect() for several photos (all resized to the one input size), in one run when the session is batchable. */
  async detectBatch(images: readonly DecodedImage[]): Promise<FaceCandidate[][]> {
    const outs = await runRows(this.session, "input", images.map(ultraLightInput));
    return outs.map((out, i) => {
      const scores = out.scores?.data;
      const boxes = out.boxes?.data;
      if (!(scores instanceof Float32Array) || !(boxes instanceof Float32Array)) throw new TypeError("fr_detect: expected float32 `scores` and `boxes` outputs");
      return ultraLightDecode(scores, boxes, images[i]!.width, images[i]!.height, this.options);
    });
  }
}
