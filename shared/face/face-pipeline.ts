/** What runs inside a worker: one pack's sessions turning an image into faces. */
import type { DecodedImage, DetectedFace, FacePackName } from "./face-analyser.ts";

export interface FacePipeline {
  readonly pack: FacePackName;
  analyse(image: DecodedImage): Promise<DetectedFace[]>;
  /**
   * Several photos at once, each photo's faces exactly as analyse() finds them: the networks whose
   * sessions are batchable run every photo's (or face's) rows in one call.
   */
  analyseBatch(images: readonly DecodedImage[]): Promise<DetectedFace[][]>;
  release(): Promise<void>;
}

/** InstantID picks the largest face: sort by bbox area, largest first (stable for equal areas). */
export function sortByArea(faces: DetectedFace[]): DetectedFace[] {
  const area = (f: DetectedFace) => Math.max(0, f.bbox[2] - f.bbox[0]) * Math.max(0, f.bbox[3] - f.bbox[1]);
  return faces.map((f, i) => ({ f, i, a: area(f) })).sort((x, y) => y.a - x.a || x.i - y.i).map((x) => x.f);
}
