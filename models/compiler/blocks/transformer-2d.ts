/**
 * diffusers Transformer2DModel with use_linear_projection (`attentions.N`) and its
 * BasicTransformerBlocks (`transformer_blocks.N`): self-attention, cross-attention, GEGLU feed-forward,
 * each pre-LayerNorm with a residual.
 */
import { groupNorm, layerNorm, linear } from "../layers/basic.ts";
import type { Weights } from "../weights.ts";
import { selfAttention } from "./attention.ts";
import type { BlockContext } from "./block-context.ts";
import type { AttentionSpec } from "./unet-config.ts";
import { gegluFeedForward } from "./feed-forward.ts";

/** Transformer2DModel normalises its input with this epsilon whatever the config's norm_eps. */
const TRANSFORMER_NORM_EPS = 1e-6;

/** `w` scoped to the BasicTransformerBlock; `hidden` is (B, L, channels). */
export function basicTransformerBlock(ctx: BlockContext, w: Weights, path: string, hidden: string, channels: number, heads: number): string {
  const { g } = ctx;
  const dims = { channels, heads };
  let h = hidden;
  ctx.processors?.record(`${path}.attn1`);
  ctx.processors?.record(`${path}.attn2`);
  h = g.op("Add", [h, selfAttention(g, w.scope("attn1."), layerNorm(g, w, "norm1", h, channels), dims)]);
  h = g.op("Add", [h, ctx.crossAttention(g, w.scope("attn2."), `${path}.attn2`, layerNorm(g, w, "norm2", h, channels), dims)]);
  h = g.op("Add", [h, gegluFeedForward(g, w.scope("ff."), layerNorm(g, w, "norm3", h, channels), channels)]);
  return h;
}

/** `w` scoped to the Transformer2DModel; x is (B, channels, H, W) and so is the result. */
export function transformer2D(ctx: BlockContext, w: Weights, path: string, x: string, channels: number, a: AttentionSpec): string {
  const { g } = ctx;
  const normed = groupNorm(g, w, "norm", x, channels, ctx.groups, TRANSFORMER_NORM_EPS);
  // (B, C, H, W) -> (B, HW, C)
  const tokens = g.op("Transpose", [g.op("Reshape", [normed, g.constInt64([0, channels, -1])])], { perm: [0, 2, 1] });
  let h = linear(g, w, "proj_in", tokens, channels, channels);
  for (let t = 0; t < a.depth; t++) {
    h = basicTransformerBlock(ctx, w.scope(`transformer_blocks.${t}.`), `${path}.transformer_blocks.${t}`, h, channels, a.heads);
  }
  h = linear(g, w, "proj_out", h, channels, channels);
  const spatial = g.op("Reshape", [g.op("Transpose", [h], { perm: [0, 2, 1] }), g.op("Shape", [x])]);
  return g.op("Add", [spatial, x]);
}
