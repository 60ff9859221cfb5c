/** diffusers' Attention module as SDXL uses it: to_q/to_k/to_v without bias, to_out.0 with bias. */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import { multiHeadAttention } from "../layers/attention.ts";
import { linear } from "../layers/basic.ts";
import type { Weights } from "../weights.ts";
import type { AttentionDims, CrossAttentionFn } from "./block-context.ts";

/** Multi-head attention of (B, L, channels) queries over a (B, S, contextDim) context, before to_out. */
export function attend(g: GraphBuilder, w: Weights, query: string, context: string, contextDim: number, d: AttentionDims): string {
  const q = linear(g, w, "to_q", query, d.channels, d.channels, false);
  const k = linear(g, w, "to_k", context, contextDim, d.channels, false);
  const v = linear(g, w, "to_v", context, contextDim, d.channels, false);
  return multiHeadAttention(g, q, k, v, d.channels / d.heads, { heads: d.heads });
}

export function outputProjection(g: GraphBuilder, w: Weights, x: string, channels: number): string {
  return linear(g, w, "to_out.0", x, channels, channels);
}

/** attn1: the tokens attend to themselves. */
export function selfAttention(g: GraphBuilder, w: Weights, hidden: string, d: AttentionDims): string {
  return outputProjection(g, w, attend(g, w, hidden, hidden, d.channels, d), d.channels);
}

/** attn2 as diffusers' default processor computes it: the tokens attend to `context` (B, S, contextDim). */
export function plainCrossAttention(context: string, contextDim: number): CrossAttentionFn {
  return (g, w, _path, hidden, d) => outputProjection(g, w, attend(g, w, hidden, context, contextDim, d), d.channels);
}
