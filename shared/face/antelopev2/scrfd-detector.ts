/**
 * SCRFD (antelopev2's scrfd_10g_bnkps) as insightface 0.7.3 runs it: letterbox into a
 * det_size square at the top-left (zero padding), (x - 127.5) / 128 in RGB, outputs in the
 * session's order (scores, boxes, keypoints per stride), decoded by scrfdDecode.
 */
import type { FaceSession } from "../face-session.ts";
import { rasterOf } from "../../image/raster.ts";
import { resizeBilinear } from "../../image/resize-bilinear.ts";
import type { DecodedImage } from "../face-analyser.ts";
import { FaceAnalysisError } from "../face-analysis-error.ts";
import type { FaceCandidate } from "../face-candidate.ts";
import { planarInput } from "../face-embedder.ts";
import { scrfdDecode, scrfdGeometry, SCRFD_DEFAULTS } from "../scrfd-decode.ts";

export interface ScrfdOptions {
  readonly detSize: number;
  readonly scoreThreshold: number;
  readonly nmsThreshold: number;
}

export const SCRFD_MEAN = 127.5;
export const SCRFD_STD = 128;

/** The det_size x det_size letterboxed RGB input, and the scale the outputs are divided by. */
export function scrfdInput(image: DecodedImage, detSize: number) {
  const g = scrfdGeometry(image.width, image.height, detSize);
  const resized = resizeBilinear(rasterOf(image), g.width, g.height);
  const canvas = new Uint8Array(detSize * detSize * 3);
  for (let y = 0; y < g.height; y++) canvas.set(resized.data.subarray(y * g.width * 3, (y + 1) * g.width * 3), y * detSize * 3);
  return { tensor: planarInput({ rgb: canvas, width: detSize, height: detSize }, SCRFD_MEAN, SCRFD_STD), scale: g.scale };
}

/** insightface's output layouts: 6/9 outputs = 3 strides (2 anchors), 10/15 = 5 strides (1 anchor); 9 and 15 carry keypoints. */
function layoutOf(outputCount: number): { strides: number[]; numAnchors: number; kps: boolean } | null {
  switch (outputCount) {
    case 6: return { strides: [...SCRFD_DEFAULTS.strides], numAnchors: 2, kps: false };
    case 9: return { strides: [...SCRFD_DEFAULTS.strides], numAnchors: 2, kps: true };
    case 10: return { strides: [8, 16, 32, 64, 128], numAnchors: 1, kps: false };
    case 15: return { strides: [8, 16, 32, 64, 128], numAnchors: 1, kps: true };
    default: return null;
  }
}

export class ScrfdDetector {
  private readonly layout: { strides: number[]; numAnchors: number; kps: boolean };

  constructor(
    private readonly session: FaceSession,
    readonly options: ScrfdOptions,
  ) {
    const layout = layoutOf(session.outputNames.length);
    if (!layout?.kps) {
      throw new FaceAnalysisError("pack_invalid", `SCRFD: ${session.outputNames.length} outputs; InstantID needs a detector with keypoints (9 or 15 outputs)`);
    }
    this.layout = layout;
  }

  async detect(image: DecodedImage): Promise<FaceCandidate[]> {
    const { detSize } = this.options;
    const { tensor, scale } = scrfdInput(image, detSize);
    const out = await this.session.run({ [this.session.inputNames[0]!]: tensor });
    // Batched exports add a leading 1; the data are the same either way.
    const outputs = this.session.outputNames.map((name) => {
      const data = out[name]?.data;
      if (!(data instanceof Float32Array)) throw new FaceAnalysisError("pack_invalid", `SCRFD output ${name} is not float32`);
      return data;
    });
    const k = this.layout.strides.length;
    return scrfdDecode(
      { scores: outputs.slice(0, k), bboxes: outputs.slice(k, 2 * k), kps: outputs.slice(2 * k, 3 * k) },
      {
        inputWidth: detSize,
        inputHeight: detSize,
        strides: this.layout.strides,
        numAnchors: this.layout.numAnchors,
        scoreThreshold: this.options.scoreThreshold,
        nmsThreshold: this.options.nmsThreshold,
        scale,
      },
    );
  }
}
