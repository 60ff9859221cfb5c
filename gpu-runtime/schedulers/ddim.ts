/**
 * DDIM (Song et al. 2020) with eta = 0: deterministic jumps between training timesteps along the
 * predicted noise. Mirrors diffusers' DDIMScheduler, which locates a step by its timestep alone.
 */
import { noiseSchedule, type NoiseSchedule } from "./noise-schedule.ts";
import { roundHalfEven } from "./numpy-compat.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";
import { ConfigReader, type CommonSchedulerConfig } from "./scheduler-config.ts";
import { SchedulerError } from "./scheduler-error.ts";
import { checkStepCount, checkStepInput } from "./step-cursor.ts";
import { spacedTimesteps } from "./timestep-spacing.ts";

const f32 = Math.fround;

export interface DdimOptions extends CommonSchedulerConfig {
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  /** Whether the step after the last one has alphā = 1 (a clean image) or alphā_0. */
  readonly setAlphaToOne: boolean;
}

/** DDIMScheduler's fields and defaults. */
export function ddimOptions(config: unknown): DdimOptions {
  const r = new ConfigReader(config, "ddim");
  r.refuse("thresholding", (v) => v === true, "dynamic thresholding is not implemented");
  return {
    ...r.common({ betaStart: 0.0001, betaEnd: 0.02, betaSchedule: "linear", timestepSpacing: "leading" }),
    clipSample: r.boolean("clip_sample", true),
    clipSampleRange: r.number("clip_sample_range", 1, { min: 0 }),
    setAlphaToOne: r.boolean("set_alpha_to_one", true),
  };
}

export class DdimScheduler implements Scheduler {
  readonly name = "ddim";
  readonly initNoiseSigma = 1;
  timesteps = new Float32Array(0);
  private readonly schedule: NoiseSchedule;
  private readonly finalAlphaCumprod: number;

  constructor(private readonly options: DdimOptions) {
    this.schedule = noiseSchedule(options);
    this.finalAlphaCumprod = options.setAlphaToOne ? 1 : this.schedule.alphasCumprod[0]!;
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    checkStepCount("ddim", steps, o.numTrainTimesteps);
    this.timesteps = Float32Array.from(spacedTimesteps(o.timestepSpacing, o.numTrainTimesteps, steps, o.stepsOffset), roundHalfEven);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return Float32Array.from(sample);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    const o = this.options;
    const steps = this.timesteps.length;
    if (steps === 0) throw new SchedulerError("not_ready", "ddim: call setTimesteps before stepping");
    checkStepInput("ddim", modelOutput, sample);
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= o.numTrainTimesteps) {
      throw new SchedulerError("invalid_timestep", `ddim: timestep must be an integer in [0, ${o.numTrainTimesteps}), got ${timestep}`);
    }
    const prevTimestep = timestep - Math.floor(o.numTrainTimesteps / steps);
    const alphaProd = this.schedule.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.schedule.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const sqrtAlpha = f32(Math.sqrt(alphaProd));
    const sqrtBeta = f32(Math.sqrt(f32(1 - alphaProd)));

    let original: Float32Array;
    let epsilon: Float32Array;
    switch (o.predictionType) {
      case "epsilon":
        original = sample.map((x, k) => f32(x - f32(sqrtBeta * modelOutput[k]!)) / sqrtAlpha);
        epsilon = Float32Array.from(modelOutput);
        break;
      case "sample":
        original = Float32Array.from(modelOutput);
        epsilon = sample.map((x, k) => f32(x - f32(sqrtAlpha * original[k]!)) / sqrtBeta);
        break;
      case "v_prediction":
        original = sample.map((x, k) => f32(sqrtAlpha * x) - f32(sqrtBeta * modelOutput[k]!));
        epsilon = sample.map((x, k) => f32(sqrtAlpha * modelOutput[k]!) + f32(sqrtBeta * x));
        break;
    }
    if (o.clipSample) original = original.map((x) => Math.min(o.clipSampleRange, Math.max(-o.clipSampleRange, x)));

    // eta = 0: no variance term, the whole remaining noise points along epsilon.
    const originalScale = f32(Math.sqrt(alphaProdPrev));
    const epsilonScale = f32(Math.sqrt(f32(1 - alphaProdPrev)));
    const prevSample = original.map((x0, k) => f32(originalScale * x0) + f32(epsilonScale * epsilon[k]!));
    return { prevSample, denoised: original };
  }
}
