import type { GraphBuilder } from "../graph/graph-builder.ts";
import type { Weights } from "../weights.ts";
import { conv2d, groupNorm, linear, silu } from "./basic.ts";

export interface ResnetOptions {
  inChannels: number;
  outChannels: number;
  groups: number;
  eps: number;
  /** The (B, temb_channels) time embedding, for UNet/ControlNet resnets; the VAE's have none. */
  temb?: { value: string; channels: number };
}

/** diffusers ResnetBlock2D (time_embedding_norm "default", output_scale_factor 1). `w` is scoped to the block. */
export function resnetBlock2D(g: GraphBuilder, w: Weights, x: string, o: ResnetOptions): string {
  let h = conv2d(g, w, "conv1", silu(g, groupNorm(g, w, "norm1", x, o.inChannels, o.groups, o.eps)), o.inChannels, o.outChannels, { kernel: 3, padding: 1 });
  if (o.temb) {
    const t = linear(g, w, "time_emb_proj", silu(g, o.temb.value), o.temb.channels, o.outChannels);
    h = g.op("Add", [h, g.op("Unsqueeze", [t, g.constInt64([2, 3])])]);
  }
  h = conv2d(g, w, "conv2", silu(g, groupNorm(g, w, "norm2", h, o.outChannels, o.groups, o.eps)), o.outChannels, o.outChannels, { kernel: 3, padding: 1 });
  const shortcut = o.inChannels !== o.outChannels || w.has("conv_shortcut.weight") ? conv2d(g, w, "conv_shortcut", x, o.inChannels, o.outChannels, { kernel: 1 }) : x;
  return g.op("Add", [shortcut, h]);
}
