import { describe, expect, it } from "vitest";
import { noiseSchedule } from "../../../gpu-runtime/schedulers/noise-schedule.ts";
import { seededNoise } from "../../../shared/noise/seeded-noise.ts";
import { createScheduler, type Scheduler, type SchedulerName } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { ConfigReader, type PredictionType } from "../../../gpu-runtime/schedulers/scheduler-config.ts";
import { sdxlConfig } from "./fixtures.ts";

const N = 64;
const x0 = seededNoise(11).randn(N);
const trainingAlphas = noiseSchedule(
  new ConfigReader(sdxlConfig(), "test").common({ betaStart: 0, betaEnd: 0, betaSchedule: "linear", timestepSpacing: "leading" }),
).alphasCumprod;

/** x_t = alpha * x_0 + sigma * eps in the sample's own space, and the variance-preserving pair the model sees. */
function noiseLevel(s: Scheduler, i: number, t: number) {
  if (s.sigmas) {
    const vpAlpha = 1 / Math.sqrt(1 + s.sigmas[i]! ** 2);
    const vp = { alpha: vpAlpha, sigma: s.sigmas[i]! * vpAlpha };
    // The Euler family keeps x = x_0 + sigma * eps; DPM-Solver keeps the variance-preserving sample.
    return s.name === "dpmpp_2m_karras" ? { sample: vp, vp } : { sample: { alpha: 1, sigma: s.sigmas[i]! }, vp };
  }
  const vp = { alpha: Math.sqrt(trainingAlphas[t]!), sigma: Math.sqrt(1 - trainingAlphas[t]!) };
  return { sample: vp, vp };
}

/** A perfect model that knows x_0, answering in the configured parameterisation. */
function oracle(type: PredictionType, s: Scheduler, i: number, t: number, sample: Float32Array): Float32Array {
  const { sample: at, vp } = noiseLevel(s, i, t);
  return sample.map((x, k) => {
    const eps = (x - at.alpha * x0[k]!) / at.sigma;
    if (type === "epsilon") return eps;
    if (type === "sample") return x0[k]!;
    return vp.alpha * eps - vp.sigma * x0[k]!;
  });
}

const cases: [SchedulerName, PredictionType][] = [];
for (const name of ["euler", "euler_a", "dpmpp_2m_karras", "ddim", "lcm"] as const) {
  for (const type of ["epsilon", "v_prediction", "sample"] as const) if (!(name === "euler_a" && type === "sample")) cases.push([name, type]);
}

/** Runs a 6-step schedule with a perfect model; returns the final sample and the worst x_0 error of any step. */
function runWithOracle(name: SchedulerName, type: PredictionType) {
  const s = createScheduler(name, { ...sdxlConfig(), clip_sample: false, prediction_type: type });
  s.setTimesteps(6);
  const noise = seededNoise(3);
  let x: Float32Array = seededNoise(4).randn(N).map((v) => v * s.initNoiseSigma);
  let worstOriginal = 0;
  const path: Float32Array[] = [];
  s.timesteps.forEach((t, i) => {
    const result = s.step(oracle(type, s, i, t, x), t, x, noise);
    worstOriginal = Math.max(worstOriginal, ...result.denoised.map((d, k) => Math.abs(d - x0[k]!)));
    x = result.prevSample;
    path.push(x);
  });
  return { path, final: x, worstOriginal, endsClean: s.sigmas !== undefined };
}

const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, k) => Math.abs(v - b[k]!)));

describe("prediction types", () => {
  it.each(cases)("%s with %s: a perfect model's x_0 is recovered at every step, on the epsilon model's trajectory", (name, type) => {
    const run = runWithOracle(name, type);
    expect(run.worstOriginal).toBeLessThan(1e-3);
    // The same perfect model in another parameterisation must take the same path.
    const reference = runWithOracle(name, "epsilon").path;
    run.path.forEach((x, i) => expect(maxDiff(x, reference[i]!)).toBeLessThan(1e-3));
    // Sigma-space schedules end at sigma = 0, i.e. at the clean sample itself.
    if (run.endsClean) expect(maxDiff(run.final, x0)).toBeLessThan(1e-3);
  });
});
