/**
 * The training noise schedule (betas -> cumulative alphas -> sigmas), computed with the float32 rounding
 * torch applies, so the sigmas and timesteps derived from it match diffusers bit for bit.
 */
import { interpOnIndex } from "./numpy-compat.ts";
import type { NoiseScheduleConfig } from "./scheduler-config.ts";

const f32 = Math.fround;

/**
 * torch.linspace(start, end, n, dtype=float32) on CPU: float32 endpoints and step, the first half counted up
 * from start and the second down from end, in SIMD chunks of 8 whose base is a fused multiply-add (one
 * rounding to float32, emulated here through float64).
 * Reproducing this (rather than a float64 linspace) is what makes the sigmas exact.
 */
function torchLinspaceF32(start: number, end: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32((e - s) / (n - 1));
  const half = n >> 1;
  const chunk = 8;
  for (let base = 0; base < n; base += chunk) {
    const first = base < half ? f32(s + step * base) : f32(e - step * (n - base - 1));
    for (let k = 0; k < chunk && base + k < n; k++) out[base + k] = f32(first + k * step);
  }
  return out;
}

/** Betas of the cosine ("squaredcos_cap_v2") schedule, computed in float64 like diffusers' betas_for_alpha_bar. */
function cosineBetas(n: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta);
  return out;
}

export function trainingBetas(c: NoiseScheduleConfig): Float32Array {
  if (c.trainedBetas) return Float32Array.from(c.trainedBetas);
  switch (c.betaSchedule) {
    case "linear":
      return torchLinspaceF32(c.betaStart, c.betaEnd, c.numTrainTimesteps);
    case "scaled_linear":
      return torchLinspaceF32(Math.sqrt(c.betaStart), Math.sqrt(c.betaEnd), c.numTrainTimesteps).map((b) => f32(b * b));
    case "squaredcos_cap_v2":
      return cosineBetas(c.numTrainTimesteps);
  }
}

/** cumprod(1 - betas): torch's CPU cumprod keeps a float64 running product and rounds each output to float32. */
export function alphasCumprod(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f32(1 - betas[i]!);
    out[i] = product;
  }
  return out;
}

/** sigma_t = sqrt((1 - alphā_t) / alphā_t) in float32, indexed by training timestep (ascending noise). */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/** Everything a scheduler needs from the training schedule, built once per scheduler. */
export interface NoiseSchedule {
  readonly alphasCumprod: Float32Array;
  readonly sigmas: Float32Array;
}

export function noiseSchedule(c: NoiseScheduleConfig): NoiseSchedule {
  const alphas = alphasCumprod(trainingBetas(c));
  return { alphasCumprod: alphas, sigmas: trainingSigmas(alphas) };
}

/** The training sigmas at (possibly fractional) timesteps, by np.interp, in float64. */
export function sigmasAtTimesteps(timesteps: ArrayLike<number>, trainingSigmas: Float32Array): number[] {
  return Array.from(timesteps, (t) => interpOnIndex(t, trainingSigmas));
}
