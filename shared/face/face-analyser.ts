/**
 * The face-analysis boundary: a decoded photo in, faces out (largest first).
 * Implementations: the in-process ONNX analyser (Node edge) and, later, an HTTP client of the
 * runtime's /v1/faces/analyze (Workers edge). The core depends only on this interface.
 */

import type { FacePack } from "../contract/limits.ts";

/** Which detector/recogniser pair produced an embedding; embeddings of different packs are not comparable. */
export type FacePackName = FacePack;

export interface DecodedImage {
  /** RGB, row-major, 3 bytes per pixel, EXIF orientation already applied. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export type Point = readonly [number, number];

export interface DetectedFace {
  /** x1, y1, x2, y2 in image pixels. */
  readonly bbox: readonly [number, number, number, number];
  readonly score: number;
  /** InstantID's 5 keypoints: left eye, right eye, nose tip, left mouth corner, right mouth corner (image pixels). */
  readonly kps: readonly [Point, Point, Point, Point, Point];
  /** 512 floats, raw (not L2-normalised): InstantID feeds the unnormalised vector to its Resampler. */
  readonly embedding: Float32Array;
  readonly pack: FacePackName;
}

export interface FaceAnalyser {
  readonly pack: FacePackName;
  /** All faces found, sorted by bbox area, largest first. Empty when there is none. */
  analyse(image: DecodedImage): Promise<DetectedFace[]>;
  close(): Promise<void>;
}
