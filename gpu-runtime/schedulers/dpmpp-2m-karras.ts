/**
 * DPM-Solver++(2M) with Karras sigmas (Lu et al. 2022): a second-order multistep solver in data-prediction
 * form, which reuses the previous step's x_0 estimate instead of a second model call. Mirrors diffusers'
 * DPMSolverMultistepScheduler with algorithm_type "dpmsolver++", solver_order 2, use_karras_sigmas true.
 * Keeps history: feed the steps in order, and call setTimesteps to start a new run.
 */
import { karrasSigmas, logSigmas, sigmaToTimestep } from "./karras.ts";
import { noiseSchedule, type NoiseSchedule } from "./noise-schedule.ts";
import { roundHalfEven } from "./numpy-compat.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";
import { ConfigReader, type CommonSchedulerConfig } from "./scheduler-config.ts";
import { checkStepCount, checkStepInput, StepCursor } from "./step-cursor.ts";

const f32 = Math.fround;

export interface DpmppTwoMKarrasOptions extends CommonSchedulerConfig {
  readonly solverType: "midpoint" | "heun";
  /** First-order final steps for short (< 15 step) schedules. */
  readonly lowerOrderFinal: boolean;
  readonly eulerAtFinal: boolean;
  /** The noise level after the last step: 0, or the smallest training sigma. */
  readonly finalSigmasType: "zero" | "sigma_min";
}

/**
 * DPMSolverMultistepScheduler's fields and defaults. The name fixes algorithm_type, solver_order and
 * use_karras_sigmas, so those config fields are not read (as from_config with overrides).
 */
export function dpmppTwoMKarrasOptions(config: unknown): DpmppTwoMKarrasOptions {
  const r = new ConfigReader(config, "dpmpp_2m_karras");
  r.refuse("thresholding", (v) => v === true, "dynamic thresholding is not implemented");
  r.refuse("use_lu_lambdas", (v) => v === true, "the Karras schedule is this scheduler's definition");
  r.refuse("variance_type", (v) => v === "learned" || v === "learned_range", "learned-variance model outputs are not implemented");
  return {
    ...r.common({ betaStart: 0.0001, betaEnd: 0.02, betaSchedule: "linear", timestepSpacing: "linspace" }),
    // diffusers maps the deprecated bh1/bh2/logrho solver types to midpoint.
    solverType: r.choice("solver_type", ["midpoint", "heun", "logrho", "bh1", "bh2"] as const, "midpoint") === "heun" ? "heun" : "midpoint",
    lowerOrderFinal: r.boolean("lower_order_final", true),
    eulerAtFinal: r.boolean("euler_at_final", false),
    finalSigmasType: r.choice("final_sigmas_type", ["zero", "sigma_min"] as const, "zero"),
  };
}

/** A noise level in diffusers' VP terms: x_t = alpha * x_0 + sigma * eps, and lambda = log(alpha / sigma). */
interface NoiseLevel {
  readonly alpha: number;
  readonly sigma: number;
  readonly lambda: number;
}

function noiseLevel(sigmaVe: number): NoiseLevel {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigmaVe * sigmaVe) + 1))));
  const sigma = f32(sigmaVe * alpha);
  return { alpha, sigma, lambda: f32(f32(Math.log(alpha)) - f32(Math.log(sigma))) };
}

export class DpmppTwoMKarrasScheduler implements Scheduler {
  readonly name = "dpmpp_2m_karras";
  readonly initNoiseSigma = 1;
  timesteps = new Float32Array(0);
  sigmas = new Float32Array(0);
  private readonly schedule: NoiseSchedule;
  private readonly cursor = new StepCursor("dpmpp_2m_karras");
  /** x_0 estimate of the previous step, for the second-order correction. */
  private previousOriginal: Float32Array | null = null;

  constructor(private readonly options: DpmppTwoMKarrasOptions) {
    this.schedule = noiseSchedule(options);
  }

  setTimesteps(steps: number): void {
    checkStepCount("dpmpp_2m_karras", steps, this.options.numTrainTimesteps);
    const trainingSigmas = this.schedule.sigmas;
    const sigmas = karrasSigmas(trainingSigmas[0]!, trainingSigmas[trainingSigmas.length - 1]!, steps);
    const logs = logSigmas(trainingSigmas);
    this.timesteps = Float32Array.from(sigmas, (s) => roundHalfEven(sigmaToTimestep(s, logs)));
    const last = this.options.finalSigmasType === "zero" ? 0 : trainingSigmas[0]!;
    this.sigmas = Float32Array.from([...sigmas, last]);
    this.previousOriginal = null;
    this.cursor.reset();
  }

  /** The solver works on the unscaled sample. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    this.cursor.at(this.timesteps, timestep);
    return Float32Array.from(sample);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    checkStepInput("dpmpp_2m_karras", modelOutput, sample);
    const i = this.cursor.at(this.timesteps, timestep);
    const o = this.options;
    const isLast = i === this.timesteps.length - 1;
    const firstOrderFinal = isLast && (o.eulerAtFinal || (o.lowerOrderFinal && this.timesteps.length < 15) || o.finalSigmasType === "zero");
    const original = this.predictOriginal(modelOutput, sample, noiseLevel(this.sigmas[i]!));
    const prevSample =
      this.previousOriginal === null || firstOrderFinal
        ? this.firstOrderUpdate(original, sample, i)
        : this.secondOrderUpdate(original, this.previousOriginal, sample, i);
    this.previousOriginal = original;
    this.cursor.advance();
    return { prevSample, denoised: original };
  }

  private predictOriginal(modelOutput: Float32Array, sample: Float32Array, at: NoiseLevel): Float32Array {
    switch (this.options.predictionType) {
      case "epsilon":
        return sample.map((x, k) => f32(x - f32(at.sigma * modelOutput[k]!)) / at.alpha);
      case "v_prediction":
        return sample.map((x, k) => f32(at.alpha * x) - f32(at.sigma * modelOutput[k]!));
      case "sample":
        return Float32Array.from(modelOutput);
    }
  }

  /** DPM-Solver++(1), i.e. DDIM in data-prediction form. */
  private firstOrderUpdate(original: Float32Array, sample: Float32Array, i: number): Float32Array {
    const s = noiseLevel(this.sigmas[i]!);
    const t = noiseLevel(this.sigmas[i + 1]!);
    const h = f32(t.lambda - s.lambda);
    const sampleScale = f32(t.sigma / s.sigma);
    const originalScale = f32(t.alpha * f32(f32(Math.exp(-h)) - 1));
    return sample.map((x, k) => f32(sampleScale * x) - f32(originalScale * original[k]!));
  }

  /** DPM-Solver++(2M): the x_0 trend between this step and the previous one corrects the first-order step. */
  private secondOrderUpdate(m0: Float32Array, m1: Float32Array, sample: Float32Array, i: number): Float32Array {
    const s1 = noiseLevel(this.sigmas[i - 1]!);
    const s0 = noiseLevel(this.sigmas[i]!);
    const t = noiseLevel(this.sigmas[i + 1]!);
    const h = f32(t.lambda - s0.lambda);
    const r0 = f32(f32(s0.lambda - s1.lambda) / h);
    const trendScale = f32(1 / r0);
    const sampleScale = f32(t.sigma / s0.sigma);
    const expm1 = f32(f32(Math.exp(-h)) - 1);
    const d0Scale = f32(t.alpha * expm1);
    return sample.map((x, k) => {
      const d1 = f32(trendScale * f32(m0[k]! - m1[k]!));
      const firstOrder = f32(f32(sampleScale * x) - f32(d0Scale * m0[k]!));
      return this.options.solverType === "midpoint"
        ? firstOrder - f32(f32(0.5 * d0Scale) * d1)
        : firstOrder + f32(f32(t.alpha * f32(f32(expm1 / h) + 1)) * d1);
    });
  }
}
