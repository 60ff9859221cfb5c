/** Parameter counting without weights: see Weights.dryRun() and GraphOptions.dryRun. */
import { numel } from "../../shared/tensor/tensor.ts";
import type { Weights } from "./weights.ts";

export function countParameters(w: Weights, prefix = ""): number {
  let n = 0;
  for (const [key, shape] of w.requested) if (key.startsWith(prefix)) n += numel(shape);
  return n;
}
