/**
 * Worker thread of the face analyser: loads one pack's ONNX sessions once, then analyses images. A task
 * is one or more photos; several (a batch the analyser collected) share each network's runs.
 */
import { workerData } from "node:worker_threads";
import { serveTasks } from "../workers/serve-tasks.ts";
import { createFacePipeline } from "./create-face-pipeline.ts";
import type { DecodedImage, DetectedFace } from "./face-analyser.ts";
import type { FacePackConfig } from "./face-pack-config.ts";
import type { FacePipeline } from "./face-pipeline.ts";

export interface AnalyserWorkerData {
  readonly config: FacePackConfig;
}

serveTasks<FacePipeline, readonly DecodedImage[], DetectedFace[][]>(
  () => createFacePipeline((workerData as AnalyserWorkerData).config),
  async (pipeline, images) => (images.length === 1 ? [await pipeline.analyse(images[0]!)] : pipeline.analyseBatch(images)),
  { transfer: (perImage) => perImage.flatMap((faces) => faces.map((f) => f.embedding.buffer as ArrayBuffer)) },
);
