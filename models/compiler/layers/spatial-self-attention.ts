import type { GraphBuilder } from "../graph/graph-builder.ts";
import type { Weights } from "../weights.ts";
import { multiHeadAttention } from "./attention.ts";
import { groupNorm, linear } from "./basic.ts";

export interface SpatialSelfAttentionOptions {
  channels: number;
  heads: number;
  groups: number;
  eps: number;
}

/**
 * diffusers Attention over the pixels of an NCHW map, as in the VAE mid block: GN `group_norm`,
 * (B, HW, C) tokens, `to_q`/`to_k`/`to_v`/`to_out.0` all with bias, back to NCHW, plus the input.
 * `w` is scoped to the attention module.
 */
export function spatialSelfAttention(g: GraphBuilder, w: Weights, x: string, o: SpatialSelfAttentionOptions): string {
  const C = o.channels;
  const shape = g.op("Shape", [x]);
  const normed = groupNorm(g, w, "group_norm", x, C, o.groups, o.eps);
  const tokens = g.op("Transpose", [g.op("Reshape", [normed, g.constInt64([0, C, -1])])], { perm: [0, 2, 1] });
  const q = linear(g, w, "to_q", tokens, C, C);
  const k = linear(g, w, "to_k", tokens, C, C);
  const v = linear(g, w, "to_v", tokens, C, C);
  const attn = linear(g, w, "to_out.0", multiHeadAttention(g, q, k, v, C / o.heads, { heads: o.heads }), C, C);
  const back = g.op("Reshape", [g.op("Transpose", [attn], { perm: [0, 2, 1] }), shape]);
  return g.op("Add", [back, x]);
}
