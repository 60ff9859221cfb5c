/** BasicTransformerBlock's FeedForward with GEGLU: net.0.proj to 2 x inner, value x GELU(gate), net.2 back. */
import type { GraphBuilder } from "../graph/graph-builder.ts";
import { gelu, linear } from "../layers/basic.ts";
import type { Weights } from "../weights.ts";

export function gegluFeedForward(g: GraphBuilder, w: Weights, x: string, channels: number, mult = 4): string {
  const inner = channels * mult;
  const proj = linear(g, w, "net.0.proj", x, channels, 2 * inner);
  // torch's chunk(2): the first half is the value, the second the gate
  const [value, gate] = g.ops("Split", [proj, g.constInt64([inner, inner])], { axis: -1 }, 2) as [string, string];
  return linear(g, w, "net.2", g.op("Mul", [value, gelu(g, gate)]), inner, channels);
}
