import type { GraphBuilder } from "../graph/graph-builder.ts";

export interface AttentionOptions {
  heads: number;
  /** Multiplies q·k; default 1/sqrt(head size). */
  scale?: number;
  /** A (L, S) additive mask added to the scores (e.g. CLIP's causal mask). */
  mask?: string;
}

/**
 * Scaled dot-product attention over (B, L, heads*d) queries and (B, S, heads*d) keys/values,
 * returning (B, L, heads*d). Batch and lengths stay dynamic.
 */
export function multiHeadAttention(g: GraphBuilder, q: string, k: string, v: string, headDim: number, o: AttentionOptions): string {
  if (g.options.fusedAttention && !o.mask) {
    return g.op("MultiHeadAttention", [q, k, v], { num_heads: o.heads, scale: { float: o.scale ?? 1 / Math.sqrt(headDim) } }, "com.microsoft");
  }
  const split = (x: string) => g.op("Transpose", [g.op("Reshape", [x, g.constInt64([0, 0, o.heads, headDim])])], { perm: [0, 2, 1, 3] });
  const qh = split(q);
  const kh = g.op("Transpose", [g.op("Reshape", [k, g.constInt64([0, 0, o.heads, headDim])])], { perm: [0, 2, 3, 1] });
  const vh = split(v);
  const scale = o.scale ?? 1 / Math.sqrt(headDim);
  let scores = g.op("Mul", [g.op("MatMul", [qh, kh]), g.constFloat([scale])]);
  if (o.mask) scores = g.op("Add", [scores, o.mask]);
  const probs = g.op("Softmax", [scores], { axis: -1 });
  const out = g.op("Transpose", [g.op("MatMul", [probs, vh])], { perm: [0, 2, 1, 3] });
  return g.op("Reshape", [out, g.constInt64([0, 0, o.heads * headDim])]);
}
