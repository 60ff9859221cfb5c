/**
 * A pack's pipeline on any backend: platform-free, so the browser bundle builds exactly the
 * pipeline the Node edge runs (create-face-pipeline.ts is the Node entry that reads a folder).
 */
import type { FacePackName } from "./face-analyser.ts";
import { FaceAnalysisError } from "./face-analysis-error.ts";
import type { FacePipeline } from "./face-pipeline.ts";
import type { FaceBackend } from "./face-session.ts";
import { createAntelopev2Pipeline, type Antelopev2Options } from "./antelopev2/antelopev2-pipeline.ts";
import { createLitePipeline, type LiteOptions } from "./lite/lite-pipeline.ts";

export type PackOptions = LiteOptions & Antelopev2Options;

export function createPackPipeline(pack: FacePackName, backend: FaceBackend, options: PackOptions = {}): Promise<FacePipeline> {
  switch (pack) {
    case "lite":
      return createLitePipeline(backend, options);
    case "antelopev2":
      return createAntelopev2Pipeline(backend, options);
    default:
      // Pack names can come from JSON: refuse an unknown pack instead of returning undefined.
      return Promise.reject(new FaceAnalysisError("pack_invalid", `unknown face pack ${JSON.stringify(pack)}`));
  }
}
