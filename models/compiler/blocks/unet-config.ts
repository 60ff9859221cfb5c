/**
 * The config fields UNet2DConditionModel and ControlNetModel share (diffusers names), and the
 * per-level plan they imply. Fields this compiler does not implement accept only diffusers'
 * default (or absence), so an unsupported checkpoint fails naming the field instead of compiling wrong.
 */
import { z } from "zod";
import { CompileError } from "../compile-error.ts";

const positiveInt = z.number().int().positive();
/** A number for every level, or one number for all of them. */
const perLevel = z.union([positiveInt, z.array(positiveInt).min(1)]);

export const UNetCoreFields = {
  in_channels: positiveInt,
  flip_sin_to_cos: z.boolean().default(true),
  freq_shift: z.number().int().nonnegative().default(0),
  down_block_types: z.array(z.enum(["DownBlock2D", "CrossAttnDownBlock2D"])).min(1),
  mid_block_type: z.literal("UNetMidBlock2DCrossAttn").default("UNetMidBlock2DCrossAttn"),
  block_out_channels: z.array(positiveInt).min(1),
  layers_per_block: positiveInt,
  // diffusers pads asymmetrically for 0; SDXL and every SD checkpoint use 1
  downsample_padding: z.literal(1).default(1),
  mid_block_scale_factor: z.literal(1).default(1),
  act_fn: z.literal("silu").default("silu"),
  norm_num_groups: positiveInt.default(32),
  norm_eps: z.number().positive().default(1e-5),
  cross_attention_dim: positiveInt,
  transformer_layers_per_block: perLevel.default(1),
  /** With num_attention_heads null this is the number of heads per level (diffusers' naming quirk). */
  attention_head_dim: perLevel.default(8),
  num_attention_heads: perLevel.nullable().optional(),
  use_linear_projection: z.literal(true),
  only_cross_attention: z.literal(false).default(false),
  // only changes the precision torch computes scores in; the graph's precision is chosen at build time
  upcast_attention: z.boolean().nullable().optional(),
  class_embed_type: z.null().optional(),
  num_class_embeds: z.null().optional(),
  encoder_hid_dim: z.null().optional(),
  encoder_hid_dim_type: z.null().optional(),
  addition_embed_type: z.literal("text_time"),
  addition_time_embed_dim: positiveInt,
  projection_class_embeddings_input_dim: positiveInt,
  resnet_time_scale_shift: z.literal("default").default("default"),
};

type RawCore = z.infer<z.ZodObject<typeof UNetCoreFields>>;

/** Cross-field checks both networks need; `ctx` is zod's refinement context. */
export function checkCore(cfg: RawCore, ctx: z.RefinementCtx): void {
  const levels = cfg.block_out_channels.length;
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (cfg.down_block_types.length !== levels) issue("down_block_types", `has ${cfg.down_block_types.length} entries for ${levels} block_out_channels`);
  for (const name of ["transformer_layers_per_block", "attention_head_dim", "num_attention_heads"] as const) {
    const v = cfg[name];
    if (Array.isArray(v) && v.length !== levels) issue(name, `has ${v.length} entries for ${levels} levels`);
  }
  const heads = perLevelValues(cfg.num_attention_heads ?? cfg.attention_head_dim, levels);
  cfg.block_out_channels.forEach((c, i) => {
    if (c % cfg.norm_num_groups !== 0) issue("block_out_channels", `${c} channels do not split into norm_num_groups ${cfg.norm_num_groups}`);
    if (heads[i] !== undefined && c % heads[i]! !== 0) issue("attention_head_dim", `level ${i}: ${c} channels do not split into ${heads[i]} heads`);
  });
}

/** How many time ids SDXL's text_time conditioning embeds (original size, crop, target size). */
export const SDXL_TIME_IDS = 6;

export interface AttentionSpec {
  heads: number;
  /** BasicTransformerBlocks per Transformer2DModel. */
  depth: number;
}

export interface LevelSpec {
  channels: number;
  /** Present on CrossAttn blocks. */
  attention?: AttentionSpec;
}

export interface CorePlan {
  down: LevelSpec[];
  mid: LevelSpec & { attention: AttentionSpec };
  layersPerBlock: number;
  groups: number;
  eps: number;
  crossAttentionDim: number;
  /** time_embedding width: 4 x block_out_channels[0]. */
  tembChannels: number;
  /** Width of the pooled text embedding: what the text_time projection leaves after the time ids. */
  textEmbedsDim: number;
}

/** The levels as diffusers builds them: heads = num_attention_heads ?? attention_head_dim; the mid block takes the last level's. */
export function corePlan(cfg: RawCore, timeIdCount: number): CorePlan {
  const levels = cfg.block_out_channels.length;
  const heads = perLevelValues(cfg.num_attention_heads ?? cfg.attention_head_dim, levels);
  const depth = perLevelValues(cfg.transformer_layers_per_block, levels);
  const textEmbedsDim = cfg.projection_class_embeddings_input_dim - timeIdCount * cfg.addition_time_embed_dim;
  if (textEmbedsDim <= 0) {
    throw new CompileError(
      "bad_config",
      `projection_class_embeddings_input_dim ${cfg.projection_class_embeddings_input_dim} leaves no room for text_embeds beside ${timeIdCount} time ids of addition_time_embed_dim ${cfg.addition_time_embed_dim}`,
    );
  }
  const down = cfg.block_out_channels.map((channels, i) =>
    cfg.down_block_types[i] === "CrossAttnDownBlock2D" ? { channels, attention: { heads: heads[i]!, depth: depth[i]! } } : { channels },
  );
  return {
    down,
    mid: { channels: cfg.block_out_channels[levels - 1]!, attention: { heads: heads[levels - 1]!, depth: depth[levels - 1]! } },
    layersPerBlock: cfg.layers_per_block,
    groups: cfg.norm_num_groups,
    eps: cfg.norm_eps,
    crossAttentionDim: cfg.cross_attention_dim,
    tembChannels: 4 * cfg.block_out_channels[0]!,
    textEmbedsDim,
  };
}

export function perLevelValues(v: number | number[], levels: number): number[] {
  return Array.isArray(v) ? v : Array.from({ length: levels }, () => v);
}
