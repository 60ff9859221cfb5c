/** Worker thread of the face analyser: loads one pack's ONNX sessions once, then analyses images. */
import { workerData } from "node:worker_threads";
import { serveTasks } from "../workers/serve-tasks.ts";
import { createFacePipeline } from "./create-face-pipeline.ts";
import type { DecodedImage, DetectedFace } from "./face-analyser.ts";
import type { FacePackConfig } from "./face-pack-config.ts";
import type { FacePipeline } from "./face-pipeline.ts";

export interface AnalyserWorkerData {
  readonly config: FacePackConfig;
}

serveTasks<FacePipeline, DecodedImage, DetectedFace[]>(
  () => createFacePipeline((workerData as AnalyserWorkerData).config),
  (pipeline, image) => pipeline.analyse(image),
  { transfer: (faces) => faces.map((f) => f.embedding.buffer as ArrayBuffer) },
);
