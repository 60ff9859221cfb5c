/**
 * fr_landmark.onnx: 68 facial landmarks (the iBUG/300-W layout) from a 64x64 grayscale crop of
 * the face box, pixel / 256, outputs relative to the crop. The crop is faceplugin's: a square of
 * the box's height around its centre, shifted back inside the image. InstantID needs 5 points:
 * the eye centres (means of 36-41 and 42-47), the nose tip (30) and the mouth corners (48, 54).
 */
import { runRows, type FaceSession } from "../face-session.ts";
import { cropRaster, rasterOf, rgbToGray } from "../../image/raster.ts";
import { resizeBilinear } from "../../image/resize-bilinear.ts";
import { float32 } from "../../tensor/tensor.ts";
import type { DecodedImage, Point } from "../face-analyser.ts";
import type { Box, FivePoints } from "../face-candidate.ts";

export const LANDMARK_INPUT_SIZE = 64;

export interface CropRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A square of the box's height, centred on it, moved (then clipped) to lie inside the image. */
export function landmarkCrop(box: Box, imageWidth: number, imageHeight: number): CropRect {
  const side = Math.max(1, Math.min(Math.round(box[3] - box[1]), imageWidth, imageHeight));
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const x = Math.min(Math.max(0, Math.round(cx - side / 2)), imageWidth - side);
  const y = Math.min(Math.max(0, Math.round(cy - side / 2)), imageHeight - side);
  return { x, y, width: side, height: side };
}

export function landmarkInput(image: DecodedImage, rect: CropRect) {
  const crop = cropRaster(rasterOf(image), rect.x, rect.y, rect.width, rect.height);
  const gray = rgbToGray(resizeBilinear(crop, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE));
  const data = new Float32Array(gray.data.length);
  for (let i = 0; i < data.length; i++) data[i] = gray.data[i]! / 256;
  return float32(data, [1, 1, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE]);
}

/** The network's (x, y) pairs in [0, 1] of the crop, to image pixels. */
export function landmarksToImage(out: ArrayLike<number>, rect: CropRect): Point[] {
  if (out.length !== 136) throw new RangeError(`fr_landmark: expected 136 values, got ${out.length}`);
  const pts: Point[] = [];
  for (let i = 0; i < 68; i++) pts.push([rect.x + out[2 * i]! * rect.width, rect.y + out[2 * i + 1]! * rect.height]);
  return pts;
}

function mean(pts: readonly Point[], from: number, to: number): Point {
  let x = 0, y = 0;
  for (let i = from; i <= to; i++) (x += pts[i]![0]), (y += pts[i]![1]);
  return [x / (to - from + 1), y / (to - from + 1)];
}

/** InstantID's 5 keypoints (image left eye first, as insightface orders them) from the 68. */
export function fivePointsFrom68(pts: readonly Point[]): FivePoints {
  if (pts.length !== 68) throw new RangeError(`fivePointsFrom68: expected 68 points, got ${pts.length}`);
  return [mean(pts, 36, 41), mean(pts, 42, 47), pts[30]!, pts[48]!, pts[54]!];
}

export class Landmark68 {
  constructor(private readonly session: FaceSession) {}

  async predict(image: DecodedImage, box: Box): Promise<Point[]> {
    const rect = landmarkCrop(box, image.width, image.height);
    const out = await this.session.run({ input: landmarkInput(image, rect) });
    const t = out.output;
    if (!t || !(t.data instanceof Float32Array)) throw new TypeError("fr_landmark: expected a float32 `output`");
    return landmarksToImage(t.data, rect);
  }

  /** predict() for several faces (of one or more photos), in one run when the session is batchable. */
  async predictBatch(faces: readonly { image: DecodedImage; box: Box }[]): Promise<Point[][]> {
    const rects = faces.map((f) => landmarkCrop(f.box, f.image.width, f.image.height));
    const outs = await runRows(this.session, "input", faces.map((f, i) => landmarkInput(f.image, rects[i]!)));
    return outs.map((out, i) => {
      const t = out.output;
      if (!t || !(t.data instanceof Float32Array)) throw new TypeError("fr_landmark: expected a float32 `output`");
      return landmarksToImage(t.data, rects[i]!);
    });
  }
}
