/**
 * Karras et al. (2022) noise levels, and the map from a noise level back to a (fractional) training timestep,
 * as diffusers computes them: float64 arithmetic over float32 log-sigmas.
 */
import { linspace } from "./numpy-compat.ts";

const RHO = 7;

/** N sigmas from sigmaMax down to sigmaMin, evenly spaced in sigma^(1/rho). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const minInvRho = sigmaMin ** (1 / RHO);
  const maxInvRho = sigmaMax ** (1 / RHO);
  return linspace(0, 1, steps).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** RHO);
}

/** np.log of the float32 training sigmas: numpy keeps the float32 dtype. */
export function logSigmas(trainingSigmas: Float32Array): Float32Array {
  return trainingSigmas.map((s) => Math.log(s));
}

/** Interpolates the training timestep whose sigma is `sigma`, linearly in log-sigma between neighbours. */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // diffusers: the last training sigma not above `sigma` (0 when there is none), kept below the last index.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigmas[i]! <= logSigma) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const high = low + 1;
  const lowLog = logSigmas[low]!;
  const w = Math.min(1, Math.max(0, (lowLog - logSigma) / Math.fround(lowLog - logSigmas[high]!)));
  return (1 - w) * low + w * high;
}
