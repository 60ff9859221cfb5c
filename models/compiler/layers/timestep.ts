import type { GraphBuilder } from "../graph/graph-builder.ts";

/**
 * diffusers get_timestep_embedding: for t of shape (N,), [cos(t f), sin(t f)] (flip_sin_to_cos) with
 * f_i = exp(-ln(10000) i / (half - freq_shift)), computed in float32 as torch does. Returns (N, dim).
 */
export function sinusoidalEmbedding(g: GraphBuilder, t: string, dim: number, flipSinToCos: boolean, freqShift: number): string {
  const half = Math.floor(dim / 2);
  const freqs = new Float32Array(half);
  const lnMax = Math.fround(-Math.log(10000));
  for (let i = 0; i < half; i++) freqs[i] = Math.fround(Math.exp(Math.fround(Math.fround(lnMax * i) / (half - freqShift))));
  // the phase t*f is formed in float32 even in an fp16 graph: t reaches 999
  const tFloat = g.computeType === "float32" ? t : g.op("Cast", [t], { to: 1 });
  const freqConst = g.computeType === "float32" ? g.constFloat(freqs, [1, half]) : constFloat32(g, freqs, half);
  const args = g.op("Mul", [g.op("Unsqueeze", [tFloat, g.constInt64([1])]), freqConst]);
  const sin = g.op("Sin", [args]);
  const cos = g.op("Cos", [args]);
  let emb = g.op("Concat", flipSinToCos ? [cos, sin] : [sin, cos], { axis: 1 });
  if (dim % 2 === 1) emb = g.op("Pad", [emb, g.constInt64([0, 0, 0, 1])]);
  return g.computeType === "float32" ? emb : g.op("Cast", [emb], { to: 10 });
}

function constFloat32(g: GraphBuilder, values: Float32Array, half: number): string {
  // builder constants follow the compute type; the frequencies must stay float32
  const flat = g.op("Constant", [], { value_floats: { floats: Array.from(values) } });
  return g.op("Reshape", [flat, g.constInt64([1, half])]);
}
