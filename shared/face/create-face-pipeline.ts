/** The pack named in the config, built inside the calling thread (the analyser's workers call this). */
import type { FacePackConfig } from "./face-pack-config.ts";
import type { FacePipeline } from "./face-pipeline.ts";
import { createAntelopev2Pipeline } from "./antelopev2/antelopev2-pipeline.ts";
import { createLitePipeline } from "./lite/lite-pipeline.ts";
import { FaceAnalysisError } from "./face-analysis-error.ts";

export function createFacePipeline(config: FacePackConfig): Promise<FacePipeline> {
  switch (config.pack) {
    case "lite":
      return createLitePipeline(config);
    case "antelopev2":
      return createAntelopev2Pipeline(config);
    default:
      // Configs can come from JSON: refuse an unknown pack instead of returning undefined.
      return Promise.reject(new FaceAnalysisError("pack_invalid", `unknown face pack ${JSON.stringify((config as { pack?: unknown }).pack)}`));
  }
}
