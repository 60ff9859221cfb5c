/**
 * diffusers UpBlock2D / CrossAttnUpBlock2D: each layer concatenates the latest skip on channels,
 * then resnet (-> Transformer2DModel); then nearest-neighbour upsampling and a 3x3 conv.
 */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import { conv2d } from "../layers/basic.ts";
import { resnetBlock2D } from "../layers/resnet.ts";
import type { Weights } from "../weights.ts";
import type { BlockContext, Skip } from "./block-context.ts";
import { transformer2D } from "./transformer-2d.ts";
import type { AttentionSpec } from "./unet-config.ts";

export interface UpBlockSpec {
  /** Channels of the incoming hidden state (the previous up block's output). */
  prevChannels: number;
  outChannels: number;
  attention?: AttentionSpec;
  /**
   * The skip the next block will consume: upsampling resizes to its size, as diffusers'
   * `upsample_size` does (exactly 2x when the latent divides evenly). Absent on the last block.
   */
  upsampleTo?: Skip;
}

/** `skips` are this block's, most recent last (one per layer, consumed from the end). */
export function upBlock(ctx: BlockContext, w: Weights, path: string, x: string, skips: readonly Skip[], s: UpBlockSpec): string {
  const { g } = ctx;
  return g.scoped(path, () => {
    let h = x;
    let channels = s.prevChannels;
    for (let j = 0; j < skips.length; j++) {
      const skip = skips[skips.length - 1 - j]!;
      const joined = g.op("Concat", [h, skip.value], { axis: 1 });
      const inChannels = channels + skip.channels;
      h = g.scoped(`resnets.${j}`, () =>
        resnetBlock2D(g, w.scope(`resnets.${j}.`), joined, { inChannels, outChannels: s.outChannels, groups: ctx.groups, eps: ctx.eps, temb: ctx.temb }),
      );
      channels = s.outChannels;
      const attention = s.attention;
      if (attention) h = g.scoped(`attentions.${j}`, () => transformer2D(ctx, w.scope(`attentions.${j}.`), `${path}.attentions.${j}`, h, s.outChannels, attention));
    }
    if (s.upsampleTo) h = upsample(g, w, h, s.outChannels, s.upsampleTo.value);
    return h;
  });
}

/** Upsample2D: nearest to `like`'s spatial size (torch's nearest = floor(dst * in / out)), then `upsamplers.0.conv`. */
function upsample(g: GraphBuilder, w: Weights, x: string, channels: number, like: string): string {
  const batchAndChannels = g.op("Slice", [g.op("Shape", [x]), g.constInt64([0]), g.constInt64([2])]);
  const spatial = g.op("Slice", [g.op("Shape", [like]), g.constInt64([2]), g.constInt64([4])]);
  const sizes = g.op("Concat", [batchAndChannels, spatial], { axis: 0 });
  const up = g.op("Resize", [x, "", "", sizes], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
  return conv2d(g, w, "upsamplers.0.conv", up, channels, channels, { kernel: 3, padding: 1 });
}
