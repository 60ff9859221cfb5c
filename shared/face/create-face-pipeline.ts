/** The pack named in the config, from its folder on onnxruntime-node, built inside the calling thread (the analyser's workers call this). */
import type { FacePackConfig } from "./face-pack-config.ts";
import type { FacePipeline } from "./face-pipeline.ts";
import { nodeFaceBackend } from "./load-pack-session.ts";
import { createPackPipeline } from "./pack-pipeline.ts";

export function createFacePipeline(config: FacePackConfig): Promise<FacePipeline> {
  return createPackPipeline(config.pack, nodeFaceBackend(config.dir, config), config);
}
