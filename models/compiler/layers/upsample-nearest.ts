import type { GraphBuilder } from "../graph/graph-builder.ts";
import type { Weights } from "../weights.ts";
import { conv2d } from "./basic.ts";

/**
 * torch F.interpolate(x, scale_factor=2, mode="nearest") on NCHW: Resize with asymmetric
 * coordinates and floor rounding (source index = floor(dst / 2)).
 */
export function upsampleNearest2x(g: GraphBuilder, x: string): string {
  // Resize scales are float32 whatever the compute type, so not a builder constant
  const scales = g.op("Constant", [], { value_floats: { floats: [1, 1, 2, 2] } });
  return g.op("Resize", [x, "", scales], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
}

/** diffusers Upsample2D with use_conv: nearest x2, then a 3x3 `conv` (channels kept). `w` is scoped to the upsampler. */
export function upsample2D(g: GraphBuilder, w: Weights, x: string, channels: number): string {
  return conv2d(g, w, "conv", upsampleNearest2x(g, x), channels, channels, { kernel: 3, padding: 1 });
}
