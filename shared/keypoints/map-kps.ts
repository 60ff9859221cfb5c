/**
 * InstantID draws keypoints detected on the face photo onto a canvas of the output size, after
 * resizing the photo to that size; the keypoints scale with it, independently along each axis.
 */
import { KeypointError } from "./keypoint-error.ts";
import { validateKeypoints, type Keypoint } from "./draw-kps.ts";

export interface Size {
  readonly width: number;
  readonly height: number;
}

function checkSize(name: string, s: Size): void {
  if (!(s.width > 0) || !(s.height > 0) || !Number.isFinite(s.width) || !Number.isFinite(s.height)) {
    throw new KeypointError("bad_size", `${name} must have positive finite width and height`);
  }
}

export function mapKpsToCanvas(kps: readonly Keypoint[], fromSize: Size, toSize: Size): Keypoint[] {
  validateKeypoints(kps);
  checkSize("fromSize", fromSize);
  checkSize("toSize", toSize);
  const sx = toSize.width / fromSize.width;
  const sy = toSize.height / fromSize.height;
  return kps.map(([x, y]) => [x * sx, y * sy] as const);
}
