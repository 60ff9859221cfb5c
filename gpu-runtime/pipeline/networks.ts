/**
 * What the pipeline needs from the compiled networks: run one by name, or run two back to back with the
 * first one's outputs fed to the second (IdentityNet's residuals into the UNet), so large intermediate
 * tensors stay wherever the sessions live (a worker thread, a GPU) instead of crossing back each step.
 */
import type { NetworkName } from "../../shared/pack/pack-manifest.ts";
import type { Tensor } from "../../shared/tensor/tensor.ts";

export type Feeds = Record<string, Tensor>;

/**
 * The denoising step's latents come as one row per image (`lane_sample`) with `row_lanes` (int64) naming
 * each network row's image (CFG's unconditional and conditional rows share one), instead of `sample`.
 */
export { LANE_SAMPLE, ROW_LANES } from "../../shared/onnx/denoiser-graph.ts";
export type Outputs = Record<string, Tensor>;

export interface Networks {
  run(network: NetworkName, feeds: Feeds): Promise<Outputs>;
  /** Runs `first`, then `second` with `secondFeeds` plus every output of `first`; returns `second`'s outputs. */
  chain(first: NetworkName, firstFeeds: Feeds, second: NetworkName, secondFeeds: Feeds): Promise<Outputs>;
}

/** The one output a network call must have, or a clear error naming the graph. */
export function outputOf(outputs: Outputs, name: string, network: string): Tensor {
  const t = outputs[name];
  if (!t) throw new Error(`${network} produced no output "${name}" (got ${Object.keys(outputs).join(", ") || "none"})`);
  return t;
}
