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
import type { AttentionProcessors } from "./attention-processors.ts";
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
  /** Where the blocks record each Attention as they build it; N is an attn2's index in it. */
  processors: AttentionProcessors;
}

/**
 * The attn2 builder, and `resolveIpWeights` to call once the whole UNet is built: only then is each
 * attn2's processor index known (the mid block is built before the up blocks but listed after them).
 */
export function decoupledCrossAttention(s: DecoupledCrossAttentionSpec): { crossAttention: CrossAttentionFn; resolveIpWeights: () => void } {
  const pending: (() => void)[] = [];
  const crossAttention: CrossAttentionFn = (g, w, path, hidden, d) => {
    const headDim = d.channels / d.heads;
    // one projection of the queries serves both branches, as in the processor
    const q = linear(g, w, "to_q", hidden, d.channels, d.channels, false);
    const attendTo = (k: string, v: string) => multiHeadAttention(g, q, k, v, headDim, { heads: d.heads });
    const textOut = attendTo(linear(g, w, "to_k", s.text, s.contextDim, d.channels, false), linear(g, w, "to_v", s.text, s.contextDim, d.channels, false));
    const ipProjection = (name: "to_k_ip" | "to_v_ip") => {
      const weight = g.deferredWeight(`${path}.${name}.weight:T`);
      pending.push(() => {
        const key = `${s.processors.indexOf(path)}.${name}.weight`;
        weight.resolve(s.ipWeights.get(key, [d.channels, s.contextDim]), s.ipWeights.keyOf(key), "transpose");
      });
      return g.op("MatMul", [s.face, weight.value]);
    };
    const faceOut = attendTo(ipProjection("to_k_ip"), ipProjection("to_v_ip"));
    const mixed = g.op("Add", [textOut, g.op("Mul", [faceOut, s.ipScale])]);
    return outputProjection(g, w, mixed, d.channels);
  };
  return {
    crossAttention,
    resolveIpWeights: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}
