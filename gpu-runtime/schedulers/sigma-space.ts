/**
 * What the Euler-family schedulers share: they work with x_t = x_0 + sigma * eps, so the UNet (trained on
 * variance-preserving inputs) sees x_t / sqrt(sigma^2 + 1). Float32 arithmetic, as torch does it.
 */
import type { PredictionType, TimestepSpacing } from "./scheduler-config.ts";

const f32 = Math.fround;

/** sqrt(sigma^2 + 1) in float32. */
function vpScale(sigma: number): number {
  return f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
}

/** Std of the initial noise: the largest sigma, or the std of x_T itself when the schedule starts below t_max ("leading"). */
export function initNoiseSigmaOf(sigmas: Float32Array, spacing: TimestepSpacing): number {
  const max = sigmas.reduce((m, s) => Math.max(m, s), 0);
  return spacing === "linspace" || spacing === "trailing" ? max : vpScale(max);
}

export function scaleToUnitVariance(sample: Float32Array, sigma: number): Float32Array {
  const scale = vpScale(sigma);
  return sample.map((x) => x / scale);
}

/** x_0 predicted from the model output at noise level sigma. */
export function predictOriginal(predictionType: PredictionType, modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
  switch (predictionType) {
    case "epsilon":
      return sample.map((x, i) => f32(x - f32(sigma * modelOutput[i]!)));
    case "v_prediction": {
      const outScale = f32(-sigma / vpScale(sigma));
      const inScale = f32(f32(sigma * sigma) + 1);
      return sample.map((x, i) => f32(f32(modelOutput[i]! * outScale) + f32(x / inScale)));
    }
    case "sample":
      return Float32Array.from(modelOutput);
  }
}

/** An Euler step of the probability-flow ODE from sigma to sigmaNext along the direction (x - x0) / sigma. */
export function eulerMove(sample: Float32Array, original: Float32Array, sigma: number, sigmaNext: number): Float32Array {
  const dt = f32(sigmaNext - sigma);
  return sample.map((x, i) => f32(x + f32(f32(f32(x - original[i]!) / sigma) * dt)));
}
