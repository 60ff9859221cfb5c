/**
 * Photo analysis, as the edge core sees it: the bytes of one uploaded photo in, its size and the
 * faces in it out. Node analyses in-process (adapters/node/photo-analyser.ts: sharp + the ONNX
 * worker pool); a Workers edge cannot load native code, so it asks the runtime's
 * POST /v1/faces/analyze (adapters/runtime-photo-analyser.ts).
 */
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import type { ImageIntakeErrorCode } from "../../shared/image/image-intake-error.ts";

export type { DetectedFace } from "../../shared/face/face-analyser.ts";

export interface PhotoAnalysis {
  /** Of the upright photo (EXIF orientation applied), in pixels. */
  readonly width: number;
  readonly height: number;
  /** Every face found, largest first; empty when there is none. */
  readonly faces: readonly DetectedFace[];
}

export interface PhotoAnalyser {
  /**
   * Rejects a photo it will not analyse with an error whose `code` is one of shared/image's intake
   * codes (IntakeRefusal), so the core answers the same 4xx on every platform.
   */
  analyse(photo: Uint8Array): Promise<PhotoAnalysis>;
  close(): Promise<void>;
}

/** The shape of an intake refusal (shared/image's ImageIntakeError is one). */
export interface IntakeRefusal extends Error {
  readonly code: ImageIntakeErrorCode;
}
