/** diffusers DownBlock2D / CrossAttnDownBlock2D: resnets (each followed by a Transformer2DModel on CrossAttn blocks), then a stride-2 conv. */
import { conv2d } from "../layers/basic.ts";
import { resnetBlock2D } from "../layers/resnet.ts";
import type { Weights } from "../weights.ts";
import type { BlockContext, Skip } from "./block-context.ts";
import { transformer2D } from "./transformer-2d.ts";
import type { AttentionSpec } from "./unet-config.ts";

export interface DownBlockSpec {
  inChannels: number;
  outChannels: number;
  layers: number;
  attention?: AttentionSpec;
  /** Every level but the last halves the resolution (`downsamplers.0.conv`). */
  downsample: boolean;
}

/** `w` scoped to the block ("down_blocks.i."), `path` its module path. Returns the output and the skips it saves, in order. */
export function downBlock(ctx: BlockContext, w: Weights, path: string, x: string, s: DownBlockSpec): { out: string; skips: Skip[] } {
  const { g } = ctx;
  return g.scoped(path, () => {
    const skips: Skip[] = [];
    let h = x;
    for (let j = 0; j < s.layers; j++) {
      const inChannels = j === 0 ? s.inChannels : s.outChannels;
      h = g.scoped(`resnets.${j}`, () =>
        resnetBlock2D(g, w.scope(`resnets.${j}.`), h, { inChannels, outChannels: s.outChannels, groups: ctx.groups, eps: ctx.eps, temb: ctx.temb }),
      );
      const attention = s.attention;
      if (attention) h = g.scoped(`attentions.${j}`, () => transformer2D(ctx, w.scope(`attentions.${j}.`), `${path}.attentions.${j}`, h, s.outChannels, attention));
      skips.push({ value: h, channels: s.outChannels });
    }
    if (s.downsample) {
      h = conv2d(g, w, "downsamplers.0.conv", h, s.outChannels, s.outChannels, { kernel: 3, stride: 2, padding: 1 });
      skips.push({ value: h, channels: s.outChannels });
    }
    return { out: h, skips };
  });
}
