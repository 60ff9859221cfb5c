/**
 * Checks a parsed request against what the loaded pack can do, before it is queued: the face pack the
 * adapter was trained on, the LCM fast mode, sizes the VAE can make, keypoints draw_kps can draw.
 */
import type { RuntimeGenerateRequest } from "../../shared/contract/index.ts";
import { KeypointError } from "../../shared/keypoints/keypoint-error.ts";
import { validateKeypoints } from "../../shared/keypoints/draw-kps.ts";
import type { PackManifest } from "../../shared/pack/pack-manifest.ts";
import { PipelineError } from "./pipeline-error.ts";

export type PackCapabilities = Pick<PackManifest, "faceEmbeddings" | "lcm"> & { model: Pick<PackManifest["model"], "vaeScaleFactor"> };

/** Throws PipelineError naming the field at fault. */
export function admitRequest(r: RuntimeGenerateRequest, pack: PackCapabilities): void {
  if (!pack.faceEmbeddings.includes("*") && !pack.faceEmbeddings.includes(r.embeddingPack)) {
    throw new PipelineError(
      "embedding_pack_mismatch",
      `this runtime's face adapter takes ${pack.faceEmbeddings.join(", ")} embeddings, not ${r.embeddingPack}`,
      "embeddingPack",
    );
  }
  if (r.scheduler === "lcm" && !pack.lcm) {
    throw new PipelineError("scheduler_unavailable", "the lcm scheduler (fast mode) needs a pack whose UNet has LCM-LoRA fused in; this one has not", "scheduler");
  }
  const f = pack.model.vaeScaleFactor;
  for (const field of ["width", "height"] as const) {
    if (r[field] % f !== 0) throw new PipelineError("invalid_request", `${field} must be a multiple of ${f} for this pack's VAE`, field);
  }
  try {
    validateKeypoints(r.kps);
  } catch (err) {
    if (err instanceof KeypointError) throw new PipelineError("invalid_request", err.message, "kps");
    throw err;
  }
}
