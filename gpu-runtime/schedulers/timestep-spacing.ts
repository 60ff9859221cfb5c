/**
 * Which training timesteps an N-step schedule visits (diffusers' `timestep_spacing`; table 2 of
 * "Common Diffusion Noise Schedules and Sample Steps are Flawed"). Descending, as float64 values:
 * "linspace" gives fractions, which each scheduler keeps (Euler) or rounds (DDIM) as diffusers does.
 */
import { arange, linspace, roundHalfEven } from "./numpy-compat.ts";
import type { TimestepSpacing } from "./scheduler-config.ts";

export function spacedTimesteps(spacing: TimestepSpacing, numTrainTimesteps: number, steps: number, stepsOffset: number): number[] {
  switch (spacing) {
    case "linspace":
      return linspace(0, numTrainTimesteps - 1, steps).reverse();
    case "leading": {
      const ratio = Math.floor(numTrainTimesteps / steps);
      return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + stepsOffset);
    }
    case "trailing":
      return arange(numTrainTimesteps, 0, -numTrainTimesteps / steps).map((t) => roundHalfEven(t) - 1);
  }
}
