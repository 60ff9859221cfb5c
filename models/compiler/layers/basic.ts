/** The elementary layers every network is made of, each reading its weights by checkpoint key. */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import type { Weights } from "../weights.ts";

/** torch.nn.Linear over the last axis: x @ W^T (+ b). W is stored pre-transposed. */
export function linear(g: GraphBuilder, w: Weights, key: string, x: string, inFeatures: number, outFeatures: number, bias = true): string {
  const weight = g.weight(w.get(`${key}.weight`, [outFeatures, inFeatures]), w.keyOf(`${key}.weight`), "transpose");
  const y = g.op("MatMul", [x, weight]);
  if (!bias) return y;
  return g.op("Add", [y, g.weight(w.get(`${key}.bias`, [outFeatures]), w.keyOf(`${key}.bias`))]);
}

export interface Conv2dOptions {
  kernel: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/** torch.nn.Conv2d (NCHW, square kernel, symmetric padding). */
export function conv2d(g: GraphBuilder, w: Weights, key: string, x: string, inChannels: number, outChannels: number, o: Conv2dOptions): string {
  const k = o.kernel;
  const pad = o.padding ?? 0;
  const stride = o.stride ?? 1;
  const inputs = [x, g.weight(w.get(`${key}.weight`, [outChannels, inChannels, k, k]), w.keyOf(`${key}.weight`))];
  if (o.bias ?? true) inputs.push(g.weight(w.get(`${key}.bias`, [outChannels]), w.keyOf(`${key}.bias`)));
  return g.op("Conv", inputs, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/**
 * Exact (erf) GELU, as torch's default. Written as Div(x, sqrt 2) because that is the pattern ORT's
 * GeluFusion matches (Mul by 1/sqrt 2 stays as separate Erf nodes); fused it is one Gelu kernel.
 */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op("Erf", [g.op("Div", [x, g.constFloat([Math.SQRT2])])]);
  const onePlus = g.op("Add", [erf, g.constFloat([1])]);
  return g.op("Mul", [g.op("Mul", [x, g.constFloat([0.5])]), onePlus]);
}

/** CLIP's quick_gelu: x * sigmoid(1.702 x). */
export function quickGelu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, g.constFloat([1.702])])])]);
}

/** torch.nn.LayerNorm over the last axis. */
export function layerNorm(g: GraphBuilder, w: Weights, key: string, x: string, channels: number, eps = 1e-5): string {
  const scale = g.weight(w.get(`${key}.weight`, [channels]), w.keyOf(`${key}.weight`));
  const bias = g.weight(w.get(`${key}.bias`, [channels]), w.keyOf(`${key}.bias`));
  return g.op("LayerNormalization", [x, scale, bias], { axis: -1, epsilon: { float: eps } });
}

/**
 * torch.nn.GroupNorm on NCHW. Built from InstanceNormalization over (N, groups, rest) plus a
 * per-channel affine: every execution provider implements these, unlike GroupNormalization-21.
 */
export function groupNorm(g: GraphBuilder, w: Weights, key: string, x: string, channels: number, groups: number, eps: number): string {
  if (channels % groups !== 0) throw new Error(`${w.keyOf(key)}: ${channels} channels do not split into ${groups} groups`);
  const shape = g.op("Shape", [x]);
  const grouped = g.op("Reshape", [x, g.constInt64([0, groups, -1])]);
  const normed = g.op("InstanceNormalization", [grouped, g.constFloat(new Float32Array(groups).fill(1), [groups]), g.constFloat(new Float32Array(groups), [groups])], {
    epsilon: { float: eps },
  });
  const back = g.op("Reshape", [normed, shape]);
  const gamma = g.weight(reshapeChannels(w.get(`${key}.weight`, [channels])), w.keyOf(`${key}.weight`));
  const beta = g.weight(reshapeChannels(w.get(`${key}.bias`, [channels])), w.keyOf(`${key}.bias`));
  return g.op("Add", [g.op("Mul", [back, gamma]), beta]);
}

function reshapeChannels(t: { data: Float32Array; shape: readonly number[] }) {
  return { dtype: "float32" as const, shape: [t.shape[0]!, 1, 1], data: t.data };
}
