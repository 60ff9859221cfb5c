/**
 * ControlNetConditioningEmbedding (`controlnet_cond_embedding`): the control image (B, 3, 8h, 8w),
 * RGB in [0, 1], down to the latent's size and block_out_channels[0] channels.
 * conv_in SiLU, then per step a 3x3 conv SiLU and a stride-2 3x3 conv SiLU, then conv_out (no activation).
 */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import { conv2d, silu } from "../layers/basic.ts";
import type { Weights } from "../weights.ts";

export interface ConditioningEmbeddingSpec {
  conditioningChannels: number;
  /** conditioning_embedding_out_channels. */
  channels: readonly number[];
  outChannels: number;
}

/** `w` scoped to "controlnet_cond_embedding.". */
export function conditioningEmbedding(g: GraphBuilder, w: Weights, cond: string, s: ConditioningEmbeddingSpec): string {
  return g.scoped("controlnet_cond_embedding", () => {
    const c = s.channels;
    let h = silu(g, conv2d(g, w, "conv_in", cond, s.conditioningChannels, c[0]!, { kernel: 3, padding: 1 }));
    for (let i = 0; i < c.length - 1; i++) {
      h = silu(g, conv2d(g, w, `blocks.${2 * i}`, h, c[i]!, c[i]!, { kernel: 3, padding: 1 }));
      h = silu(g, conv2d(g, w, `blocks.${2 * i + 1}`, h, c[i]!, c[i + 1]!, { kernel: 3, padding: 1, stride: 2 }));
    }
    return conv2d(g, w, "conv_out", h, c[c.length - 1]!, s.outChannels, { kernel: 3, padding: 1 });
  });
}
