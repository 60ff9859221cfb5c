/** A detector's output before embedding: a box, its score and (when the detector gives them) 5 keypoints. */
import type { Point } from "./face-analyser.ts";

export type Box = readonly [number, number, number, number];

/** InstantID's 5 keypoints: left eye, right eye, nose tip, left and right mouth corners (image left/right). */
export type FivePoints = readonly [Point, Point, Point, Point, Point];

export interface FaceCandidate {
  /** x1, y1, x2, y2 in image pixels. */
  readonly box: Box;
  readonly score: number;
  readonly kps: FivePoints | null;
}

export function boxArea(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}
