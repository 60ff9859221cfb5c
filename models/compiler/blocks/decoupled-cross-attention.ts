/**
 * InstantID's decoupled cross-attention (IP-Adapter's IPAttnProcessor) for a UNet's attn2:
 * the last `num_tokens` of encoder_hidden_states are face tokens. The same queries attend to the text
 * tokens through to_k/to_v and to the face tokens through to_k_ip/to_v_ip; the two results are
 * summed with ip_scale on the face branch, then go through to_out.0.
 */
import { multiHeadAttention } from "../layers/attention.ts";
import { linear } from "../layers/basic.ts";
import type { Weights } from "../weights.ts";
import { outputProjection } from "./attention.ts";
import type { CrossAttentionFn } from "./block-context.ts";

export interface DecoupledCrossAttentionSpec {
  /** (B, T, contextDim) text tokens and (B, num_tokens, contextDim) face tokens. */
  text: string;
  face: string;
  contextDim: number;
  /** (1,) scale of the face branch. */
  ipScale: string;
  /** Scoped to the adapter's attention weights: keys "N.to_k_ip.weight", "N.to_v_ip.weight". */
  ipWeights: Weights;
  /** Module path of each attn2 -> N, its index in attn_processors. */
  processorIndex: ReadonlyMap<string, number>;
}

export function decoupledCrossAttention(s: DecoupledCrossAttentionSpec): CrossAttentionFn {
  return (g, w, path, hidden, d) => {
    const n = s.processorIndex.get(path);
    // an internal inconsistency between attentionProcessorPaths and the blocks, not a bad input
    if (n === undefined) throw new Error(`no attention processor index for ${path}`);
    const headDim = d.channels / d.heads;
    // one projection of the queries serves both branches, as in the processor
    const q = linear(g, w, "to_q", hidden, d.channels, d.channels, false);
    const branch = (weights: Weights, kKey: string, vKey: string, context: string) =>
      multiHeadAttention(
        g,
        q,
        linear(g, weights, kKey, context, s.contextDim, d.channels, false),
        linear(g, weights, vKey, context, s.contextDim, d.channels, false),
        headDim,
        { heads: d.heads },
      );
    const textOut = branch(w, "to_k", "to_v", s.text);
    const faceOut = branch(s.ipWeights, `${n}.to_k_ip`, `${n}.to_v_ip`, s.face);
    const mixed = g.op("Add", [textOut, g.op("Mul", [faceOut, s.ipScale])]);
    return outputProjection(g, w, mixed, d.channels);
  };
}
