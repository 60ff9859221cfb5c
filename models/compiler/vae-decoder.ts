/**
 * The decoding half of diffusers' AutoencoderKL (SDXL's VAE), from its config.json and checkpoint
 * keys post_quant_conv.* and decoder.* (encoder.* and quant_conv.* of a full VAE are left alone).
 * Graph: latents (B, latent_channels, h, w) -> image (B, out_channels, 2^(levels-1) h, 2^(levels-1) w)
 *   image = decoder(post_quant_conv(latents / scaling_factor))
 * The image is the decoder's raw output, range about [-1, 1] and NOT clamped: the caller maps it to
 * pixels with clamp((x + 1) / 2, 0, 1). SDXL's VAE overflows in fp16 compute: compile it with
 * computeType float32 (fp16 weights are fine) unless the checkpoint is an fp16-fixed VAE.
 */
import { z } from "zod";
import { GraphBuilder, type GraphOptions } from "./graph/graph-builder.ts";
import { conv2d, groupNorm, silu } from "./layers/basic.ts";
import { resnetBlock2D } from "./layers/resnet.ts";
import { spatialSelfAttention } from "./layers/spatial-self-attention.ts";
import { upsample2D } from "./layers/upsample-nearest.ts";
import { parseConfig } from "./config.ts";
import type { Weights } from "./weights.ts";

export const VaeDecoderConfig = z.object({
  latent_channels: z.number().int().positive(),
  out_channels: z.number().int().positive(),
  block_out_channels: z.array(z.number().int().positive()).min(1),
  up_block_types: z.array(z.literal("UpDecoderBlock2D")).min(1),
  layers_per_block: z.number().int().positive(),
  norm_num_groups: z.number().int().positive().default(32),
  act_fn: z.literal("silu").default("silu"),
  scaling_factor: z.number().positive(),
  mid_block_add_attention: z.boolean().default(true),
  use_post_quant_conv: z.boolean().default(true),
})
  .refine((c) => c.up_block_types.length === c.block_out_channels.length, { path: ["up_block_types"], message: "needs one entry per block_out_channels level" })
  .refine((c) => c.block_out_channels.every((ch) => ch % c.norm_num_groups === 0), { path: ["block_out_channels"], message: "every level must split into norm_num_groups groups" });
export type VaeDecoderConfig = z.infer<typeof VaeDecoderConfig>;

/** diffusers builds every VAE norm with eps 1e-6 (resnets, mid attention, conv_norm_out). */
const EPS = 1e-6;

export function buildVaeDecoder(rawConfig: unknown, w: Weights, options: Partial<GraphOptions> = {}): GraphBuilder {
  const cfg = parseConfig(VaeDecoderConfig, rawConfig, "AutoencoderKL");
  const g = new GraphBuilder({ name: "vae_decoder", ...options });
  const groups = cfg.norm_num_groups;
  const lc = cfg.latent_channels;
  const levels = cfg.block_out_channels.length;
  const factor = 2 ** (levels - 1);
  const dec = w.scope("decoder.");

  const latents = g.floatInput("latents", ["batch", lc, "height", "width"]);
  let h = g.op("Div", [latents, g.constFloat([cfg.scaling_factor])]);
  if (cfg.use_post_quant_conv) h = conv2d(g, w, "post_quant_conv", h, lc, lc, { kernel: 1 });

  const top = cfg.block_out_channels[levels - 1]!;
  h = conv2d(g, dec, "conv_in", h, lc, top, { kernel: 3, padding: 1 });

  h = g.scoped("mid_block", () => {
    const m = dec.scope("mid_block.");
    let x = resnetBlock2D(g, m.scope("resnets.0."), h, { inChannels: top, outChannels: top, groups, eps: EPS });
    // one head as wide as the channels (diffusers passes attention_head_dim = channels)
    if (cfg.mid_block_add_attention) x = spatialSelfAttention(g, m.scope("attentions.0."), x, { channels: top, heads: 1, groups, eps: EPS });
    return resnetBlock2D(g, m.scope("resnets.1."), x, { inChannels: top, outChannels: top, groups, eps: EPS });
  });

  const reversed = [...cfg.block_out_channels].reverse();
  let channels = top;
  for (let i = 0; i < levels; i++) {
    const out = reversed[i]!;
    h = g.scoped(`up_blocks.${i}`, () => {
      const b = dec.scope(`up_blocks.${i}.`);
      let x = h;
      for (let r = 0; r <= cfg.layers_per_block; r++) {
        x = resnetBlock2D(g, b.scope(`resnets.${r}.`), x, { inChannels: r === 0 ? channels : out, outChannels: out, groups, eps: EPS });
      }
      return i < levels - 1 ? upsample2D(g, b.scope("upsamplers.0."), x, out) : x;
    });
    channels = out;
  }

  h = silu(g, groupNorm(g, dec, "conv_norm_out", h, channels, groups, EPS));
  h = conv2d(g, dec, "conv_out", h, channels, cfg.out_channels, { kernel: 3, padding: 1 });
  g.floatOutput("image", h, ["batch", cfg.out_channels, `height*${factor}`, `width*${factor}`]);
  return g;
}

/**
 * Fails naming unused decoder tensors. Only decoder.* and post_quant_conv.* are checked: a full
 * AutoencoderKL checkpoint also holds the encoder, which decoding does not need.
 */
export function assertVaeDecoderWeightsUsed(w: Weights): void {
  w.scope("decoder.").assertAllUsed("VAE decoder");
  w.scope("post_quant_conv.").assertAllUsed("VAE decoder");
}
