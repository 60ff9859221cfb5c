/**
 * Which pack an analyser runs, and where its files are. Loading a real antelopev2 folder is one
 * line: { pack: "antelopev2", dir: "models/packs/antelopev2" }.
 */
import type { ExecutionProvider } from "../onnx/ort-session.ts";
import type { Antelopev2Options } from "./antelopev2/antelopev2-pipeline.ts";
import type { LiteOptions } from "./lite/lite-pipeline.ts";

export interface SessionConfig {
  readonly providers?: ExecutionProvider[];
  /** Threads per ONNX session; 1 by default so N workers use N cores. */
  readonly intraOpThreads?: number;
  /**
   * Open each network so that rows of several faces or photos can share one run, where the model allows
   * it with results identical to single runs (batchable-model.ts). Default false.
   */
  readonly batchRows?: boolean;
}

export interface LitePackConfig extends SessionConfig, LiteOptions {
  readonly pack: "lite";
  /** Folder with fr_detect.onnx, fr_landmark.onnx, fr_feature.onnx. */
  readonly dir: string;
}

export interface Antelopev2PackConfig extends SessionConfig, Antelopev2Options {
  readonly pack: "antelopev2";
  /** insightface's antelopev2 folder. */
  readonly dir: string;
}

export type FacePackConfig = LitePackConfig | Antelopev2PackConfig;

/** The lite pack's files, where `npm run models:face` puts them. */
export const LITE_PACK_FILES = ["fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx"] as const;
