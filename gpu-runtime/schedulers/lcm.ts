/**
 * Latent Consistency Model sampling (Luo et al. 2023): each step maps the sample straight to a denoised
 * estimate through the consistency boundary condition, then re-noises it to the next timestep with fresh
 * noise. Mirrors diffusers' LCMScheduler; noise comes only from the NoiseSource passed to `step`.
 */
import { noiseSchedule, type NoiseSchedule } from "./noise-schedule.ts";
import { linspace } from "./numpy-compat.ts";
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";
import { ConfigReader, type CommonSchedulerConfig } from "./scheduler-config.ts";
import { SchedulerError } from "./scheduler-error.ts";
import { checkStepCount, checkStepInput, drawNoise, requireNoise, StepCursor } from "./step-cursor.ts";

const f32 = Math.fround;
const SIGMA_DATA_SQ = 0.25;

export interface LcmOptions extends CommonSchedulerConfig {
  /** The length of the schedule the model was distilled on; inference timesteps are a subset of it. */
  readonly originalInferenceSteps: number;
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  readonly setAlphaToOne: boolean;
  readonly timestepScaling: number;
}

/** LCMScheduler's fields and defaults. */
export function lcmOptions(config: unknown): LcmOptions {
  const r = new ConfigReader(config, "lcm");
  r.refuse("thresholding", (v) => v === true, "dynamic thresholding is not implemented");
  const common = r.common({ betaStart: 0.00085, betaEnd: 0.012, betaSchedule: "scaled_linear", timestepSpacing: "leading" });
  return {
    ...common,
    originalInferenceSteps: r.number("original_inference_steps", 50, { integer: true, min: 1, max: common.numTrainTimesteps }),
    clipSample: r.boolean("clip_sample", false),
    clipSampleRange: r.number("clip_sample_range", 1, { min: 0 }),
    setAlphaToOne: r.boolean("set_alpha_to_one", true),
    timestepScaling: r.number("timestep_scaling", 10),
  };
}

export class LcmScheduler implements Scheduler {
  readonly name = "lcm";
  readonly initNoiseSigma = 1;
  timesteps = new Float32Array(0);
  private readonly schedule: NoiseSchedule;
  private readonly finalAlphaCumprod: number;
  private readonly cursor = new StepCursor("lcm");

  constructor(private readonly options: LcmOptions) {
    this.schedule = noiseSchedule(options);
    this.finalAlphaCumprod = options.setAlphaToOne ? 1 : this.schedule.alphasCumprod[0]!;
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    checkStepCount("lcm", steps, o.originalInferenceSteps, "original_inference_steps");
    // The distillation schedule (every k-th training timestep, ending at k - 1), latest first...
    const k = Math.floor(o.numTrainTimesteps / o.originalInferenceSteps);
    const origin = Array.from({ length: o.originalInferenceSteps }, (_, i) => (o.originalInferenceSteps - i) * k - 1);
    // ...of which `steps` evenly spaced entries are visited.
    const picks = linspace(0, origin.length, steps, false).map(Math.floor);
    this.timesteps = Float32Array.from(picks, (i) => origin[i]!);
    this.cursor.reset();
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    this.cursor.at(this.timesteps, timestep);
    return Float32Array.from(sample);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    checkStepInput("lcm", modelOutput, sample);
    const o = this.options;
    const i = this.cursor.at(this.timesteps, timestep);
    const isLast = i === this.timesteps.length - 1;
    const source = isLast ? undefined : requireNoise("lcm", noise);
    const prevTimestep = isLast ? timestep : this.timesteps[i + 1]!;
    const alphaProd = this.schedule.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.schedule.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const sqrtAlpha = f32(Math.sqrt(alphaProd));
    const sqrtBeta = f32(Math.sqrt(f32(1 - alphaProd)));

    // Boundary condition: the consistency function is the identity at t = 0.
    const scaledT = f32(timestep * o.timestepScaling);
    const scaledTSq = f32(scaledT * scaledT);
    const cSkip = f32(SIGMA_DATA_SQ / f32(scaledTSq + SIGMA_DATA_SQ));
    const cOut = f32(scaledT / f32(Math.sqrt(f32(scaledTSq + SIGMA_DATA_SQ))));

    let original: Float32Array;
    switch (o.predictionType) {
      case "epsilon":
        original = sample.map((x, k) => f32(x - f32(sqrtBeta * modelOutput[k]!)) / sqrtAlpha);
        break;
      case "sample":
        original = Float32Array.from(modelOutput);
        break;
      case "v_prediction":
        original = sample.map((x, k) => f32(sqrtAlpha * x) - f32(sqrtBeta * modelOutput[k]!));
        break;
    }
    if (o.clipSample) original = original.map((x) => Math.min(o.clipSampleRange, Math.max(-o.clipSampleRange, x)));
    const denoised = original.map((x0, k) => f32(cOut * x0) + f32(cSkip * sample[k]!));

    // The last step returns the denoised estimate itself (a copy, so the two results never alias).
    let prevSample = Float32Array.from(denoised);
    if (source) {
      const eps = drawNoise("lcm", source, sample.length);
      const denoisedScale = f32(Math.sqrt(alphaProdPrev));
      const noiseScale = f32(Math.sqrt(f32(1 - alphaProdPrev)));
      prevSample = denoised.map((x, k) => f32(denoisedScale * x) + f32(noiseScale * eps[k]!));
    }
    this.cursor.advance();
    return { prevSample, denoised };
  }
}
