/**
 * Euler (Karras et al. 2022, Algorithm 2 without churn): one first-order step of the probability-flow ODE
 * per timestep, in sigma space. Mirrors diffusers' EulerDiscreteScheduler (linear interpolation of the
 * training sigmas, optional Karras sigmas).
 */
import { karrasSigmas, logSigmas, sigmaToTimestep } from "./karras.ts";
import { noiseSchedule, sigmasAtTimesteps, type NoiseSchedule } from "./noise-schedule.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";
import { ConfigReader, type CommonSchedulerConfig } from "./scheduler-config.ts";
import { SchedulerError } from "./scheduler-error.ts";
import { eulerMove, initNoiseSigmaOf, predictOriginal, scaleToUnitVariance } from "./sigma-space.ts";
import { checkStepCount, checkStepInput, StepCursor } from "./step-cursor.ts";
import { spacedTimesteps } from "./timestep-spacing.ts";

export interface EulerOptions extends CommonSchedulerConfig {
  readonly useKarrasSigmas: boolean;
  /** Karras range overrides; by default the range of the interpolated schedule. */
  readonly sigmaMin: number | null;
  readonly sigmaMax: number | null;
}

/** EulerDiscreteScheduler's fields and defaults. */
export function eulerOptions(config: unknown): EulerOptions {
  const r = new ConfigReader(config, "euler");
  r.refuse("interpolation_type", (v) => v !== "linear", 'only "linear" interpolation is implemented');
  r.refuse("timestep_type", (v) => v !== "discrete", 'only "discrete" timesteps are implemented');
  return {
    ...r.common({ betaStart: 0.0001, betaEnd: 0.02, betaSchedule: "linear", timestepSpacing: "linspace" }),
    useKarrasSigmas: r.boolean("use_karras_sigmas", false),
    sigmaMin: r.optionalNumber("sigma_min", { min: 0 }),
    sigmaMax: r.optionalNumber("sigma_max", { min: 0 }),
  };
}

export class EulerScheduler implements Scheduler {
  readonly name = "euler";
  timesteps = new Float32Array(0);
  sigmas = new Float32Array(0);
  private readonly schedule: NoiseSchedule;
  private readonly cursor = new StepCursor("euler");

  constructor(private readonly options: EulerOptions) {
    this.schedule = noiseSchedule(options);
  }

  get initNoiseSigma(): number {
    if (this.sigmas.length === 0) throw new SchedulerError("not_ready", "euler: call setTimesteps first");
    return initNoiseSigmaOf(this.sigmas, this.options.timestepSpacing);
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    checkStepCount("euler", steps, o.numTrainTimesteps);
    let timesteps = Float32Array.from(spacedTimesteps(o.timestepSpacing, o.numTrainTimesteps, steps, o.stepsOffset));
    let sigmas = sigmasAtTimesteps(timesteps, this.schedule.sigmas);
    if (o.useKarrasSigmas) {
      sigmas = karrasSigmas(o.sigmaMin ?? sigmas[sigmas.length - 1]!, o.sigmaMax ?? sigmas[0]!, steps);
      const logs = logSigmas(this.schedule.sigmas);
      timesteps = Float32Array.from(sigmas, (s) => sigmaToTimestep(s, logs));
    }
    this.timesteps = timesteps;
    this.sigmas = Float32Array.from([...sigmas, 0]);
    this.cursor.reset();
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleToUnitVariance(sample, this.sigmas[this.cursor.at(this.timesteps, timestep)]!);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    checkStepInput("euler", modelOutput, sample);
    const i = this.cursor.at(this.timesteps, timestep);
    const sigma = this.sigmas[i]!;
    const denoised = predictOriginal(this.options.predictionType, modelOutput, sample, sigma);
    const prevSample = eulerMove(sample, denoised, sigma, this.sigmas[i + 1]!);
    this.cursor.advance();
    return { prevSample, denoised };
  }
}
