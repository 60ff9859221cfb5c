/**
 * diffusers UNet2DConditionModel as SDXL configures it (text_time added conditioning, per-level
 * transformer depth and heads, linear projections), with InstantID's decoupled IP cross-attention
 * in every attn2 and IdentityNet's residuals as inputs.
 * Graph: sample, timestep, encoder_hidden_states ([text ; face tokens]), text_embeds, time_ids,
 * down.0..down.N-1, mid, ip_scale -> noise_pred.
 */
import { z } from "zod";
import { CompileError } from "./compile-error.ts";
import { parseConfig } from "./config.ts";
import { GraphBuilder, type GraphOptions } from "./graph/graph-builder.ts";
import { conv2d, groupNorm, silu } from "./layers/basic.ts";
import { AttentionProcessors, UNET_PROCESSOR_SECTIONS } from "./blocks/attention-processors.ts";
import type { BlockContext, Skip } from "./blocks/block-context.ts";
import { decoupledCrossAttention } from "./blocks/decoupled-cross-attention.ts";
import { downPath, levelDims, skipSpecs } from "./blocks/down-path.ts";
import { midBlock } from "./blocks/mid-block.ts";
import { coreTimeEmbeddingSpec, timeConditioningInputs, timeEmbedding } from "./blocks/time-embedding.ts";
import { checkCore, corePlan, perLevelValues, SDXL_TIME_IDS, UNetCoreFields, type CorePlan, type LevelSpec } from "./blocks/unet-config.ts";
import { upBlock } from "./blocks/up-block.ts";
import type { Weights } from "./weights.ts";

const oddKernel = z
  .number()
  .int()
  .positive()
  .refine((k) => k % 2 === 1, "must be odd (same-size padding)");

export const UNetConfig = z
  .object({
    ...UNetCoreFields,
    out_channels: z.number().int().positive(),
    up_block_types: z.array(z.enum(["UpBlock2D", "CrossAttnUpBlock2D"])).min(1),
    center_input_sample: z.literal(false).default(false),
    conv_in_kernel: oddKernel.default(3),
    conv_out_kernel: oddKernel.default(3),
    time_embedding_type: z.literal("positional").default("positional"),
    time_embedding_dim: z.null().optional(),
    time_embedding_act_fn: z.null().optional(),
    timestep_post_act: z.null().optional(),
    time_cond_proj_dim: z.null().optional(),
    resnet_skip_time_act: z.literal(false).default(false),
    resnet_out_scale_factor: z.literal(1).default(1),
    dual_cross_attention: z.literal(false).default(false),
    reverse_transformer_layers_per_block: z.null().optional(),
    attention_type: z.literal("default").default("default"),
    class_embeddings_concat: z.literal(false).default(false),
    mid_block_only_cross_attention: z.literal(false).nullable().optional(),
    cross_attention_norm: z.null().optional(),
  })
  .superRefine((cfg, ctx) => {
    checkCore(cfg, ctx);
    if (cfg.up_block_types.length !== cfg.block_out_channels.length) {
      ctx.addIssue({ code: "custom", path: ["up_block_types"], message: `has ${cfg.up_block_types.length} entries for ${cfg.block_out_channels.length} block_out_channels` });
    }
  });
export type UNetConfig = z.infer<typeof UNetConfig>;

export interface UNetOptions extends Partial<GraphOptions> {
  /** How many tokens at the end of encoder_hidden_states are face tokens (InstantID: 16, the Resampler's num_queries). */
  numIpTokens: number;
  /** Time ids per sample in text_time conditioning (SDXL base: 6). */
  timeIdCount?: number;
}

export interface UNetPlan extends CorePlan {
  /** Up blocks in order: reversed channels, heads and depths. */
  up: LevelSpec[];
}

/** The UNet's levels as diffusers builds them (up blocks take the reversed per-level lists). */
export function unetPlan(cfg: UNetConfig, timeIdCount = SDXL_TIME_IDS): UNetPlan {
  const core = corePlan(cfg, timeIdCount);
  const levels = cfg.block_out_channels.length;
  const heads = [...perLevelValues(cfg.num_attention_heads ?? cfg.attention_head_dim, levels)].reverse();
  const depth = [...perLevelValues(cfg.transformer_layers_per_block, levels)].reverse();
  const channels = [...cfg.block_out_channels].reverse();
  const up = cfg.up_block_types.map((type, i) =>
    type === "CrossAttnUpBlock2D" ? { channels: channels[i]!, attention: { heads: heads[i]!, depth: depth[i]! } } : { channels: channels[i]! },
  );
  return { ...core, up };
}

/**
 * `unetWeights`: the UNet's checkpoint (diffusers keys). `ipWeights`: the adapter's attention weights,
 * keys "N.to_k_ip.weight"/"N.to_v_ip.weight" with N the attn2's index in diffusers' attn_processors.
 */
/** The graph, with the module path of every Attention in diffusers' attn_processors order. */
export function buildUnet(rawConfig: unknown, unetWeights: Weights, ipWeights: Weights, options: UNetOptions): GraphBuilder & { attentionProcessors: readonly string[] } {
  const cfg = parseConfig(UNetConfig, rawConfig, "UNet2DConditionModel");
  const { numIpTokens, timeIdCount = SDXL_TIME_IDS, ...graphOptions } = options;
  if (!Number.isInteger(numIpTokens) || numIpTokens <= 0) throw new CompileError("bad_config", `numIpTokens must be a positive integer, got ${numIpTokens}`);
  const plan = unetPlan(cfg, timeIdCount);
  const w = unetWeights;
  const g = new GraphBuilder({ name: "unet", ...graphOptions });
  const c0 = plan.down[0]!.channels;
  const crossDim = plan.crossAttentionDim;

  const sample = g.floatInput("sample", ["batch", cfg.in_channels, "height", "width"]);
  const cond = timeConditioningInputs(g, plan.textEmbedsDim, timeIdCount);
  const ehs = g.floatInput("encoder_hidden_states", ["batch", "tokens", crossDim]);
  const skips = skipSpecs(plan);
  const residuals = skips.map((s, k) => g.floatInput(`down.${k}`, ["batch", s.channels, ...levelDims(s.level)]));
  const midResidual = g.floatInput("mid", ["batch", plan.mid.channels, ...levelDims(skips[skips.length - 1]!.level)]);
  const ipScale = g.floatInput("ip_scale", [1]);

  // [text ; face]: the last numIpTokens tokens are the face's
  const tokenCount = g.op("Slice", [g.op("Shape", [ehs]), g.constInt64([1]), g.constInt64([2])]);
  const text = g.op("Slice", [ehs, g.constInt64([0]), g.constInt64([-numIpTokens]), g.constInt64([1])]);
  const face = g.op("Slice", [ehs, g.constInt64([-numIpTokens]), tokenCount, g.constInt64([1])]);

  const processors = new AttentionProcessors(UNET_PROCESSOR_SECTIONS);
  const attn2 = decoupledCrossAttention({ text, face, contextDim: crossDim, ipScale, ipWeights, processors });
  const temb = timeEmbedding(g, w, cond, coreTimeEmbeddingSpec(cfg, plan, timeIdCount));
  const ctx: BlockContext = {
    g,
    temb: { value: temb, channels: plan.tembChannels },
    groups: plan.groups,
    eps: plan.eps,
    crossAttention: attn2.crossAttention,
    processors,
  };

  const inPad = (cfg.conv_in_kernel - 1) / 2;
  const x = conv2d(g, w, "conv_in", sample, cfg.in_channels, c0, { kernel: cfg.conv_in_kernel, padding: inPad });
  const down = downPath(ctx, w, plan, x);
  if (down.skips.length !== residuals.length) throw new Error(`unet: ${down.skips.length} skips for ${residuals.length} residual inputs`);
  // IdentityNet's residuals join the skips; the mid block still sees the plain last output
  const stack: Skip[] = down.skips.map((s, k) => ({ value: g.op("Add", [s.value, residuals[k]!]), channels: s.channels }));
  let h = midBlock(ctx, w.scope("mid_block."), "mid_block", down.out, plan.mid.channels, plan.mid.attention);
  h = g.op("Add", [h, midResidual]);

  let channels = plan.mid.channels;
  plan.up.forEach((level, i) => {
    const own = stack.splice(stack.length - (plan.layersPerBlock + 1));
    const last = i === plan.up.length - 1;
    h = upBlock(ctx, w.scope(`up_blocks.${i}.`), `up_blocks.${i}`, h, own, {
      prevChannels: channels,
      outChannels: level.channels,
      attention: level.attention,
      upsampleTo: last ? undefined : stack[stack.length - 1],
    });
    channels = level.channels;
  });

  const outPad = (cfg.conv_out_kernel - 1) / 2;
  const normed = silu(g, groupNorm(g, w, "conv_norm_out", h, channels, plan.groups, plan.eps));
  const out = conv2d(g, w, "conv_out", normed, channels, cfg.out_channels, { kernel: cfg.conv_out_kernel, padding: outPad });
  g.floatOutput("noise_pred", out, ["batch", cfg.out_channels, "height", "width"]);
  attn2.resolveIpWeights();
  return Object.assign(g, { attentionProcessors: processors.paths() });
}
