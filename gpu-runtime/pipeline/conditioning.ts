/** Assembling one side (conditional or unconditional) of a lane's conditioning, and its starting latents. */
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import type { Scheduler } from "../schedulers/scheduler.ts";
import type { Conditioning } from "./denoise-lane.ts";

/**
 * The UNet sees [77 text tokens ; face tokens] (decoupled cross-attention splits them again);
 * IdentityNet sees the face tokens only; both get the pooled text embedding.
 */
export function conditioning(text: { readonly embeds: Float32Array; readonly pooled: Float32Array }, faceTokens: Float32Array): Conditioning {
  const unetContext = new Float32Array(text.embeds.length + faceTokens.length);
  unetContext.set(text.embeds);
  unetContext.set(faceTokens, text.embeds.length);
  return { unetContext, faceTokens, textEmbeds: text.pooled };
}

/** randn(latent shape) * init_noise_sigma, in float32, drawn first from the lane's noise stream. */
export function initialLatents(noise: NoiseSource, scheduler: Scheduler, size: number): Float32Array {
  return scaledLatents(noise.randn(size), scheduler);
}

export function scaledLatents(unitNoise: Float32Array, scheduler: Scheduler): Float32Array {
  const sigma = Math.fround(scheduler.initNoiseSigma);
  return unitNoise.map((x) => Math.fround(x * sigma));
}
