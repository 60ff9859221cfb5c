/** diffusers UNetMidBlock2DCrossAttn (one layer): resnet, Transformer2DModel, resnet, at constant width. */
import { resnetBlock2D } from "../layers/resnet.ts";
import type { Weights } from "../weights.ts";
import type { BlockContext } from "./block-context.ts";
import { transformer2D } from "./transformer-2d.ts";
import type { AttentionSpec } from "./unet-config.ts";

/** `w` scoped to "mid_block.". */
export function midBlock(ctx: BlockContext, w: Weights, path: string, x: string, channels: number, attention: AttentionSpec): string {
  const { g } = ctx;
  const resnet = (j: number, h: string) =>
    g.scoped(`resnets.${j}`, () => resnetBlock2D(g, w.scope(`resnets.${j}.`), h, { inChannels: channels, outChannels: channels, groups: ctx.groups, eps: ctx.eps, temb: ctx.temb }));
  return g.scoped(path, () => {
    let h = resnet(0, x);
    h = g.scoped("attentions.0", () => transformer2D(ctx, w.scope("attentions.0."), `${path}.attentions.0`, h, channels, attention));
    return resnet(1, h);
  });
}
