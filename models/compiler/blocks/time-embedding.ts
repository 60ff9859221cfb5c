/**
 * The conditioning vector every resnet of a UNet/ControlNet receives: the timestep's embedding
 * (`time_proj` -> `time_embedding`) plus SDXL's text_time embedding (`add_time_proj` of each time id,
 * after the pooled text embedding, through `add_embedding`).
 */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import { linear, silu } from "../layers/basic.ts";
import { sinusoidalEmbedding } from "../layers/timestep.ts";
import type { Weights } from "../weights.ts";

export interface TimeEmbeddingSpec {
  /** time_proj width: block_out_channels[0]. */
  timeProjChannels: number;
  tembChannels: number;
  flipSinToCos: boolean;
  freqShift: number;
  additionTimeEmbedDim: number;
  textEmbedsDim: number;
  timeIdCount: number;
}

export interface TimeConditioning {
  /** (1,) or (B,): one timestep for the whole batch broadcasts. */
  timestep: string;
  /** (B, textEmbedsDim) pooled text embedding. */
  textEmbeds: string;
  /** (B, timeIdCount). */
  timeIds: string;
}

/** diffusers TimestepEmbedding: linear_1 -> SiLU -> linear_2. */
function timestepMlp(g: GraphBuilder, w: Weights, x: string, inChannels: number, outChannels: number): string {
  return linear(g, w, "linear_2", silu(g, linear(g, w, "linear_1", x, inChannels, outChannels)), outChannels, outChannels);
}

/** temb (B, tembChannels) = time_embedding(time_proj(t)) + add_embedding([text_embeds, add_time_proj(time_ids)]). */
export function timeEmbedding(g: GraphBuilder, w: Weights, c: TimeConditioning, s: TimeEmbeddingSpec): string {
  return g.scoped("time_embedding", () => {
    const tProj = sinusoidalEmbedding(g, c.timestep, s.timeProjChannels, s.flipSinToCos, s.freqShift);
    const temb = timestepMlp(g, w.scope("time_embedding."), tProj, s.timeProjChannels, s.tembChannels);

    const flatIds = g.op("Reshape", [c.timeIds, g.constInt64([-1])]);
    const idsProj = sinusoidalEmbedding(g, flatIds, s.additionTimeEmbedDim, s.flipSinToCos, s.freqShift);
    const perSample = g.op("Reshape", [idsProj, g.constInt64([-1, s.timeIdCount * s.additionTimeEmbedDim])]);
    const addInput = g.op("Concat", [c.textEmbeds, perSample], { axis: 1 });
    const projDim = s.textEmbedsDim + s.timeIdCount * s.additionTimeEmbedDim;
    const aug = timestepMlp(g, w.scope("add_embedding."), addInput, projDim, s.tembChannels);
    return g.op("Add", [temb, aug]);
  });
}

/** The time-embedding spec a UNet-core config implies (the UNet's and IdentityNet's are built alike). */
export function coreTimeEmbeddingSpec(
  cfg: { flip_sin_to_cos: boolean; freq_shift: number; addition_time_embed_dim: number },
  plan: { down: { channels: number }[]; tembChannels: number; textEmbedsDim: number },
  timeIdCount: number,
): TimeEmbeddingSpec {
  return {
    timeProjChannels: plan.down[0]!.channels,
    tembChannels: plan.tembChannels,
    flipSinToCos: cfg.flip_sin_to_cos,
    freqShift: cfg.freq_shift,
    additionTimeEmbedDim: cfg.addition_time_embed_dim,
    textEmbedsDim: plan.textEmbedsDim,
    timeIdCount,
  };
}

/**
 * The graph inputs the time embedding reads: timestep (1,) or (B,), text_embeds, time_ids.
 * Timestep and time ids stay float32 even in an fp16 graph (the sinusoid's phase needs it).
 */
export function timeConditioningInputs(g: GraphBuilder, textEmbedsDim: number, timeIdCount: number): TimeConditioning {
  return {
    timestep: g.input("timestep", "float32", ["timesteps"]),
    textEmbeds: g.floatInput("text_embeds", ["batch", textEmbedsDim]),
    timeIds: g.input("time_ids", "float32", ["batch", timeIdCount]),
  };
}
