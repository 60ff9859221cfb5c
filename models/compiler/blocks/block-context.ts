/** What every UNet/ControlNet block needs besides its own weights: the graph, the time embedding, norms and cross-attention. */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import type { Weights } from "../weights.ts";
import type { AttentionProcessors } from "./attention-processors.ts";

export interface AttentionDims {
  /** Query width (the block's channels). */
  channels: number;
  heads: number;
}

/**
 * Builds one `attn2` of a BasicTransformerBlock: `w` is scoped to it, `path` is its module path
 * (e.g. "up_blocks.0.attentions.1.transformer_blocks.0.attn2"), `hidden` the normed (B, L, channels)
 * queries' source; returns the (B, L, channels) output after `to_out.0`.
 * Pluggable so the UNet can add InstantID's IP branch while IdentityNet keeps plain attention.
 */
export type CrossAttentionFn = (g: GraphBuilder, w: Weights, path: string, hidden: string, dims: AttentionDims) => string;

export interface BlockContext {
  g: GraphBuilder;
  /** (B, channels) time embedding fed to every resnet. */
  temb: { value: string; channels: number };
  /** GroupNorm groups and resnet epsilon (norm_num_groups, norm_eps). */
  groups: number;
  eps: number;
  crossAttention: CrossAttentionFn;
  /** Where each Attention is recorded as it is built (the UNet's IP weights are indexed by that order). */
  processors?: AttentionProcessors;
}

/** A skip connection saved on the way down, with its channel count (the up path concatenates it). */
export interface Skip {
  value: string;
  channels: number;
}
