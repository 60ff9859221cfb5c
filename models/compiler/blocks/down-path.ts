/** The contracting half UNet and ControlNet share: after conv_in, every down block in turn, collecting the skips. */
import type { Weights } from "../weights.ts";
import type { BlockContext, Skip } from "./block-context.ts";
import { downBlock } from "./down-block.ts";
import type { CorePlan } from "./unet-config.ts";

/** `x` is conv_in's output; it is the first skip. Skips come out in diffusers' down_block_res_samples order. */
export function downPath(ctx: BlockContext, w: Weights, plan: CorePlan, x: string): { out: string; skips: Skip[] } {
  const skips: Skip[] = [{ value: x, channels: plan.down[0]!.channels }];
  let h = x;
  let channels = plan.down[0]!.channels;
  plan.down.forEach((level, i) => {
    const r = downBlock(ctx, w.scope(`down_blocks.${i}.`), `down_blocks.${i}`, h, {
      inChannels: channels,
      outChannels: level.channels,
      layers: plan.layersPerBlock,
      attention: level.attention,
      downsample: i < plan.down.length - 1,
    });
    h = r.out;
    channels = level.channels;
    skips.push(...r.skips);
  });
  return { out: h, skips };
}

/** Channels and resolution level (0 = the latent's size, each next one halved) of every skip downPath returns, in order. */
export function skipSpecs(plan: CorePlan): { channels: number; level: number }[] {
  const specs = [{ channels: plan.down[0]!.channels, level: 0 }];
  plan.down.forEach((l, i) => {
    for (let j = 0; j < plan.layersPerBlock; j++) specs.push({ channels: l.channels, level: i });
    if (i < plan.down.length - 1) specs.push({ channels: l.channels, level: i + 1 });
  });
  return specs;
}

/** Symbolic spatial dims of a tensor at a resolution level, for graph inputs/outputs. */
export function levelDims(level: number): [string, string] {
  return level === 0 ? ["height", "width"] : [`height_${level}`, `width_${level}`];
}
