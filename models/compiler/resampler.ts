/**
 * InstantID's image projection: a perceiver Resampler that turns the raw 512-d ArcFace
 * embedding into num_queries face tokens of the UNet's cross-attention width.
 * Graph: id_embeds (B, N, embedding_dim) -> tokens (B, num_queries, output_dim).
 */
import { z } from "zod";
import { GraphBuilder, type GraphOptions } from "./graph/graph-builder.ts";
import { multiHeadAttention } from "./layers/attention.ts";
import { gelu, layerNorm, linear } from "./layers/basic.ts";
import { parseConfig } from "./config.ts";
import type { Weights } from "./weights.ts";

export const ResamplerConfig = z.object({
  dim: z.number().int().positive(),
  depth: z.number().int().positive(),
  dim_head: z.number().int().positive(),
  heads: z.number().int().positive(),
  num_queries: z.number().int().positive(),
  embedding_dim: z.number().int().positive(),
  output_dim: z.number().int().positive(),
  ff_mult: z.number().int().positive(),
});
export type ResamplerConfig = z.infer<typeof ResamplerConfig>;

export function buildResampler(rawConfig: unknown, w: Weights, options: Partial<GraphOptions> = {}): GraphBuilder {
  const cfg = parseConfig(ResamplerConfig, rawConfig, "Resampler");
  const g = new GraphBuilder({ name: "resampler", ...options });
  const { dim } = cfg;
  const inner = cfg.dim_head * cfg.heads;

  const idEmbeds = g.floatInput("id_embeds", ["batch", "n", cfg.embedding_dim]);
  const x = linear(g, w, "proj_in", idEmbeds, cfg.embedding_dim, dim);

  // learned latents (1, Q, dim) repeated over the batch
  const latentsParam = g.weight(w.get("latents", [1, cfg.num_queries, dim]), w.keyOf("latents"));
  const batch = g.op("Slice", [g.op("Shape", [idEmbeds]), g.constInt64([0]), g.constInt64([1])]);
  const latentShape = g.op("Concat", [batch, g.constInt64([cfg.num_queries, dim])], { axis: 0 });
  let lat = g.op("Expand", [latentsParam, latentShape]);

  for (let l = 0; l < cfg.depth; l++) {
    lat = g.scoped(`layers.${l}`, () => {
      const a = w.scope(`layers.${l}.0.`);
      const xn = layerNorm(g, a, "norm1", x, dim);
      const ln = layerNorm(g, a, "norm2", lat, dim);
      const q = linear(g, a, "to_q", ln, dim, inner, false);
      const kv = linear(g, a, "to_kv", g.op("Concat", [xn, ln], { axis: 1 }), dim, 2 * inner, false);
      const [k, v] = g.ops("Split", [kv, g.constInt64([inner, inner])], { axis: -1 }, 2) as [string, string];
      // (q*s)(k*s)^T with s = dim_head^-1/4 is one scale of 1/sqrt(dim_head) on the scores
      const attn = multiHeadAttention(g, q, k, v, cfg.dim_head, { heads: cfg.heads, scale: 1 / Math.sqrt(cfg.dim_head) });
      let h = g.op("Add", [linear(g, a, "to_out", attn, inner, dim, false), lat]);
      const f = w.scope(`layers.${l}.1.`);
      const ff = linear(g, f, "3", gelu(g, linear(g, f, "1", layerNorm(g, f, "0", h, dim), dim, dim * cfg.ff_mult, false)), dim * cfg.ff_mult, dim, false);
      h = g.op("Add", [ff, h]);
      return h;
    });
  }
  const out = layerNorm(g, w, "norm_out", linear(g, w, "proj_out", lat, dim, cfg.output_dim), cfg.output_dim);
  g.floatOutput("tokens", out, ["batch", cfg.num_queries, cfg.output_dim]);
  return g;
}
