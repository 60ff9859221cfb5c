/**
 * diffusers ControlNetModel as InstantID's IdentityNet (an SDXL ControlNet): the UNet's time and
 * text_time embeddings, conv_in plus the control image's conditioning embedding, the down blocks and
 * mid block, then a 1x1 zero conv per skip and for the mid output, all times conditioning_scale.
 * Graph: sample, timestep, encoder_hidden_states (InstantID: the face tokens only), controlnet_cond,
 * conditioning_scale, text_embeds, time_ids -> down.0..down.N-1, mid.
 */
import { z } from "zod";
import { parseConfig } from "./config.ts";
import { GraphBuilder, type GraphOptions } from "./graph/graph-builder.ts";
import { conv2d } from "./layers/basic.ts";
import { plainCrossAttention } from "./blocks/attention.ts";
import type { BlockContext } from "./blocks/block-context.ts";
import { conditioningEmbedding } from "./blocks/conditioning-embedding.ts";
import { downPath, levelDims, skipSpecs } from "./blocks/down-path.ts";
import { midBlock } from "./blocks/mid-block.ts";
import { coreTimeEmbeddingSpec, timeConditioningInputs, timeEmbedding } from "./blocks/time-embedding.ts";
import { checkCore, corePlan, SDXL_TIME_IDS, UNetCoreFields } from "./blocks/unet-config.ts";
import type { Weights } from "./weights.ts";
import { CONDITIONING_EMBEDDING } from "../../shared/onnx/denoiser-graph.ts";

export const ControlNetConfig = z
  .object({
    ...UNetCoreFields,
    conditioning_channels: z.number().int().positive().default(3),
    conditioning_embedding_out_channels: z.array(z.number().int().positive()).min(1).default([16, 32, 96, 256]),
    controlnet_conditioning_channel_order: z.literal("rgb").default("rgb"),
    global_pool_conditions: z.literal(false).default(false),
  })
  .superRefine((cfg, ctx) => checkCore(cfg, ctx));
export type ControlNetConfig = z.infer<typeof ControlNetConfig>;

export interface ControlNetOptions extends Partial<GraphOptions> {
  /** Time ids per sample in text_time conditioning (SDXL base: 6). */
  timeIdCount?: number;
}

export function buildControlNet(rawConfig: unknown, w: Weights, options: ControlNetOptions = {}): GraphBuilder {
  const cfg = parseConfig(ControlNetConfig, rawConfig, "ControlNetModel");
  const { timeIdCount = SDXL_TIME_IDS, ...graphOptions } = options;
  const plan = corePlan(cfg, timeIdCount);
  const g = new GraphBuilder({ name: "controlnet", ...graphOptions });
  const c0 = plan.down[0]!.channels;

  const sample = g.floatInput("sample", ["batch", cfg.in_channels, "height", "width"]);
  const cond = timeConditioningInputs(g, plan.textEmbedsDim, timeIdCount);
  const ehs = g.floatInput("encoder_hidden_states", ["batch", "tokens", plan.crossAttentionDim]);
  const controlImage = g.floatInput("controlnet_cond", ["batch", cfg.conditioning_channels, "image_height", "image_width"]);
  const scale = g.floatInput("conditioning_scale", [1]);

  const temb = timeEmbedding(g, w, cond, coreTimeEmbeddingSpec(cfg, plan, timeIdCount));
  const ctx: BlockContext = {
    g,
    temb: { value: temb, channels: plan.tembChannels },
    groups: plan.groups,
    eps: plan.eps,
    crossAttention: plainCrossAttention(ehs, plan.crossAttentionDim),
  };

  // diffusers' ControlNetModel has a fixed 3x3 conv_in
  const x = conv2d(g, w, "conv_in", sample, cfg.in_channels, c0, { kernel: 3, padding: 1 });
  const hint = conditioningEmbedding(g, w.scope("controlnet_cond_embedding."), controlImage, {
    conditioningChannels: cfg.conditioning_channels,
    channels: cfg.conditioning_embedding_out_channels,
    outChannels: c0,
  });
  // Named, so the runtime can cut the graph here: the embedding depends on the control image alone,
  // and is computed once per generation at batch 1 instead of every step for every CFG row.
  g.node("Identity", [hint], [CONDITIONING_EMBEDDING]);
  const down = downPath(ctx, w, plan, g.op("Add", [x, CONDITIONING_EMBEDDING]));
  const mid = midBlock(ctx, w.scope("mid_block."), "mid_block", down.out, plan.mid.channels, plan.mid.attention);

  const specs = skipSpecs(plan);
  down.skips.forEach((s, k) => {
    const r = conv2d(g, w, `controlnet_down_blocks.${k}`, s.value, s.channels, s.channels, { kernel: 1 });
    g.floatOutput(`down.${k}`, g.op("Mul", [r, scale]), ["batch", s.channels, ...levelDims(specs[k]!.level)]);
  });
  const midOut = conv2d(g, w, "controlnet_mid_block", mid, plan.mid.channels, plan.mid.channels, { kernel: 1 });
  g.floatOutput("mid", g.op("Mul", [midOut, scale]), ["batch", plan.mid.channels, ...levelDims(specs[specs.length - 1]!.level)]);
  return g;
}
