/** Test helper: seeded feeds of one fused-denoiser step for a pack (a 64x64 image with CFG: two network rows of one latent). */
import type { PackManifest } from "../../../shared/pack/pack-manifest.ts";
import type { Tensor } from "../../../shared/tensor/tensor.ts";

export function denoiserStepFeeds(m: PackManifest, opts: { seed: number; timestep: number }): { control: Record<string, Tensor>; unet: Record<string, Tensor> } {
  let seed = opts.seed;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const f = (shape: number[], fill: () => number = rand): Tensor => ({ dtype: "float32", shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, fill) });
  const latent = 64 / m.model.vaeScaleFactor;
  const x = m.model.crossAttentionDim;
  const shared = {
    lane_sample: f([1, m.model.latentChannels, latent, latent]),
    row_lanes: { dtype: "int64", shape: [2], data: BigInt64Array.of(0n, 0n) } as Tensor,
    timestep: f([1], () => opts.timestep),
    text_embeds: f([2, m.model.pooledDim]),
    time_ids: f([2, 6], () => 64),
  };
  return {
    control: { ...shared, encoder_hidden_states: f([2, m.model.numIpTokens, x]), controlnet_cond: f([2, 3, 64, 64], () => (rand() > 0.8 ? 1 : 0)), conditioning_scale: f([1], () => 0.8) },
    unet: { ...shared, encoder_hidden_states: f([2, 77 + m.model.numIpTokens, x]), ip_scale: f([1], () => 0.8) },
  };
}
