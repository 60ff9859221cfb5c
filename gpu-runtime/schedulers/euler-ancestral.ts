/**
 * Euler ancestral: an Euler step down to sigma_down, then fresh noise of std sigma_up, so that the sample
 * lands at noise level sigma_next with part of its noise renewed. Mirrors diffusers'
 * EulerAncestralDiscreteScheduler; noise comes only from the NoiseSource passed to `step`.
 */
import { noiseSchedule, sigmasAtTimesteps, type NoiseSchedule } from "./noise-schedule.ts";
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";
import { ConfigReader, type CommonSchedulerConfig } from "./scheduler-config.ts";
import { SchedulerError } from "./scheduler-error.ts";
import { eulerMove, initNoiseSigmaOf, predictOriginal, scaleToUnitVariance } from "./sigma-space.ts";
import { checkStepCount, checkStepInput, drawNoise, requireNoise, StepCursor } from "./step-cursor.ts";
import { spacedTimesteps } from "./timestep-spacing.ts";

const f32 = Math.fround;

export type EulerAncestralOptions = CommonSchedulerConfig;

/** EulerAncestralDiscreteScheduler's fields and defaults. */
export function eulerAncestralOptions(config: unknown): EulerAncestralOptions {
  const r = new ConfigReader(config, "euler_a");
  r.refuse("prediction_type", (v) => v === "sample", "diffusers' Euler ancestral does not implement it either");
  return r.common({ betaStart: 0.0001, betaEnd: 0.02, betaSchedule: "linear", timestepSpacing: "linspace" });
}

export class EulerAncestralScheduler implements Scheduler {
  readonly name = "euler_a";
  timesteps = new Float32Array(0);
  sigmas = new Float32Array(0);
  private readonly schedule: NoiseSchedule;
  private readonly cursor = new StepCursor("euler_a");

  constructor(private readonly options: EulerAncestralOptions) {
    this.schedule = noiseSchedule(options);
  }

  get initNoiseSigma(): number {
    if (this.sigmas.length === 0) throw new SchedulerError("not_ready", "euler_a: call setTimesteps first");
    return initNoiseSigmaOf(this.sigmas, this.options.timestepSpacing);
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    checkStepCount("euler_a", steps, o.numTrainTimesteps);
    this.timesteps = Float32Array.from(spacedTimesteps(o.timestepSpacing, o.numTrainTimesteps, steps, o.stepsOffset));
    this.sigmas = Float32Array.from([...sigmasAtTimesteps(this.timesteps, this.schedule.sigmas), 0]);
    this.cursor.reset();
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleToUnitVariance(sample, this.sigmas[this.cursor.at(this.timesteps, timestep)]!);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    checkStepInput("euler_a", modelOutput, sample);
    const source = requireNoise("euler_a", noise);
    const i = this.cursor.at(this.timesteps, timestep);
    const sigma = this.sigmas[i]!;
    const next = this.sigmas[i + 1]!;
    // Split the move to `next` into a deterministic part (down) and renewed noise (up): down^2 + up^2 = next^2.
    const sigmaSq = f32(sigma * sigma);
    const nextSq = f32(next * next);
    const up = f32(Math.sqrt(f32(f32(nextSq * f32(sigmaSq - nextSq)) / sigmaSq)));
    const down = f32(Math.sqrt(Math.max(0, f32(nextSq - f32(up * up)))));
    const denoised = predictOriginal(this.options.predictionType, modelOutput, sample, sigma);
    const moved = eulerMove(sample, denoised, sigma, down);
    // diffusers draws on every step (also the last, where up = 0): keep the stream aligned with it.
    const eps = drawNoise("euler_a", source, sample.length);
    const prevSample = moved.map((x, k) => f32(x + f32(eps[k]! * up)));
    this.cursor.advance();
    return { prevSample, denoised };
  }
}
