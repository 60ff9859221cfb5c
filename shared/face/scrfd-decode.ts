/**
 * SCRFD output decoding, as insightface 0.7.3's SCRFD.forward + detect: per stride, anchor
 * centres on the feature grid (each repeated numAnchors times), distances (in stride units) to
 * box edges and keypoints, a score threshold, then one NMS over all strides, in the letterboxed
 * input's pixels divided by the letterbox scale.
 */
import type { Point } from "./face-analyser.ts";
import type { Box, FaceCandidate, FivePoints } from "./face-candidate.ts";
import { nms } from "./nms.ts";

export interface ScrfdGeometry {
  /** The resized image's size inside the det_size x det_size input (pasted at the top-left). */
  readonly width: number;
  readonly height: number;
  /** resized / original. */
  readonly scale: number;
}

/** insightface's letterbox: keep the aspect ratio, fit the longer side to detSize. */
export function scrfdGeometry(imageWidth: number, imageHeight: number, detSize: number): ScrfdGeometry {
  if (!(imageWidth > 0 && imageHeight > 0 && detSize > 0)) throw new RangeError(`scrfdGeometry: bad sizes ${imageWidth}x${imageHeight} @ ${detSize}`);
  const ratio = imageHeight / imageWidth;
  let width: number, height: number;
  if (ratio > 1) {
    height = detSize;
    width = Math.trunc(height / ratio);
  } else {
    width = detSize;
    height = Math.trunc(width * ratio);
  }
  // A 1-pixel-wide sliver of a panorama would truncate to 0; keep at least a pixel.
  width = Math.max(1, width);
  height = Math.max(1, height);
  return { width, height, scale: height / imageHeight };
}

/** Raw outputs for one image, one array per stride. */
export interface ScrfdOutputs {
  /** (H/s * W/s * anchors) scores each. */
  readonly scores: readonly Float32Array[];
  /** (... , 4) distances each. */
  readonly bboxes: readonly Float32Array[];
  /** (... , 10) keypoint offsets each, or null for a detector without keypoints. */
  readonly kps: readonly Float32Array[] | null;
}

export interface ScrfdDecodeOptions {
  /** The network input's size (det_size x det_size for insightface). */
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly strides: readonly number[];
  readonly numAnchors: number;
  readonly scoreThreshold: number;
  readonly nmsThreshold: number;
  /** The letterbox scale (resized / original): outputs are divided by it. */
  readonly scale: number;
}

export const SCRFD_DEFAULTS = { strides: [8, 16, 32], numAnchors: 2, scoreThreshold: 0.5, nmsThreshold: 0.4 } as const;

/** Candidates in original-image pixels, score-descending after NMS. */
export function scrfdDecode(out: ScrfdOutputs, opts: ScrfdDecodeOptions): FaceCandidate[] {
  const { strides, numAnchors, scale } = opts;
  if (out.scores.length !== strides.length || out.bboxes.length !== strides.length || (out.kps && out.kps.length !== strides.length)) {
    throw new RangeError(`scrfdDecode: expected ${strides.length} outputs per kind`);
  }
  const boxes: Box[] = [];
  const scores: number[] = [];
  const kpss: (FivePoints | null)[] = [];
  strides.forEach((stride, level) => {
    const gridW = Math.trunc(opts.inputWidth / stride);
    const gridH = Math.trunc(opts.inputHeight / stride);
    const count = gridW * gridH * numAnchors;
    const sc = out.scores[level]!;
    const bb = out.bboxes[level]!;
    const kp = out.kps?.[level];
    if (sc.length !== count || bb.length !== count * 4 || (kp && kp.length !== count * 10)) {
      throw new RangeError(`scrfdDecode: stride ${stride} outputs do not match a ${gridW}x${gridH}x${numAnchors} grid`);
    }
    for (let i = 0; i < count; i++) {
      const score = sc[i]!;
      if (!(score >= opts.scoreThreshold)) continue;
      const cell = Math.trunc(i / numAnchors);
      const cx = (cell % gridW) * stride;
      const cy = Math.trunc(cell / gridW) * stride;
      boxes.push([
        (cx - bb[i * 4]! * stride) / scale,
        (cy - bb[i * 4 + 1]! * stride) / scale,
        (cx + bb[i * 4 + 2]! * stride) / scale,
        (cy + bb[i * 4 + 3]! * stride) / scale,
      ]);
      scores.push(score);
      const point = (k: number): Point => [(cx + kp![i * 10 + 2 * k]! * stride) / scale, (cy + kp![i * 10 + 2 * k + 1]! * stride) / scale];
      kpss.push(kp ? [point(0), point(1), point(2), point(3), point(4)] : null);
    }
  });
  return nms(boxes, scores, opts.nmsThreshold).map((i) => ({ box: boxes[i]!, score: scores[i]!, kps: kpss[i]! }));
}
