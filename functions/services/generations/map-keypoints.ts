/**
 * Keypoints from photo pixels onto the output canvas. InstantID's demo resizes the face (or pose)
 * photo to the output size and draws the keypoints detected there, so each axis scales on its own.
 */
import type { Keypoints } from "../../stores/identity-store.ts";

export function mapKeypoints(
  kps: Keypoints,
  from: { width: number; height: number },
  to: { width: number; height: number },
): [number, number][] {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  return kps.map(([x, y]) => [x * sx, y * sy]);
}
