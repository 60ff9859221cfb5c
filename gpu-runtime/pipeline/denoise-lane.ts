/** One image being denoised: its latents, its scheduler and noise, and what conditions it. */
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import type { Scheduler } from "../schedulers/scheduler.ts";

export interface Conditioning {
  /** [textTokens + faceTokens, crossDim]: the UNet's encoder_hidden_states ([text ; face]). */
  readonly unetContext: Float32Array;
  /** [faceTokens, crossDim]: IdentityNet's encoder_hidden_states (face tokens only). */
  readonly faceTokens: Float32Array;
  /** [pooledDim]: the pooled text embedding. */
  readonly textEmbeds: Float32Array;
}

export interface DenoiseLane {
  /** [C, h, w]; replaced after every step. */
  latents: Float32Array;
  readonly scheduler: Scheduler;
  readonly noise: NoiseSource;
  readonly guidanceScale: number;
  readonly cond: Conditioning;
  /** Used only when guidance applies (scale > 1). */
  readonly uncond: Conditioning;
  /** [3, H, W] in [0, 1]. */
  readonly controlImage: Float32Array;
  /** SDXL micro-conditioning, 6 values. */
  readonly timeIds: Float32Array;
  /** IdentityNet residual scale (InstantID's controlnet_conditioning_scale). */
  readonly controlScale: number;
  /** Face cross-attention scale (IP-adapter scale). */
  readonly ipScale: number;
  /** Checked before each step: a cancelled lane leaves the batch. */
  isCancelled(): boolean;
}

/** Sizes every lane of one batch shares. */
export interface BatchShape {
  readonly latentChannels: number;
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly height: number;
  readonly width: number;
  /** Width of every token (the UNet's cross_attention_dim). */
  readonly crossAttentionDim: number;
}
