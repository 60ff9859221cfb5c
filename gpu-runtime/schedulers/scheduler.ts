/**
 * The denoising schedulers behind one interface, diffusers style: `setTimesteps`, `scaleModelInput`, `step`.
 * Each is built from a diffusers scheduler config (e.g. SDXL's scheduler_config.json); the name picks the
 * algorithm and fixes the settings that define it, as diffusers' `from_config(config, **overrides)` does.
 */
import { DdimScheduler, ddimOptions } from "./ddim.ts";
import { DpmppTwoMKarrasScheduler, dpmppTwoMKarrasOptions } from "./dpmpp-2m-karras.ts";
import { EulerAncestralScheduler, eulerAncestralOptions } from "./euler-ancestral.ts";
import { EulerScheduler, eulerOptions } from "./euler.ts";
import { LcmScheduler, lcmOptions } from "./lcm.ts";
import { SCHEDULERS, type SchedulerName as ContractSchedulerName } from "../../shared/contract/limits.ts";
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import { SchedulerError } from "./scheduler-error.ts";

/** The contract's scheduler names (shared/contract): the runtime implements exactly those. */
export const SCHEDULER_NAMES = SCHEDULERS;
export type SchedulerName = ContractSchedulerName;

export interface StepResult {
  /** The sample at the next (less noisy) timestep; after the last step, the final latents. */
  readonly prevSample: Float32Array;
  /** The step's estimate of the clean sample (LCM: its boundary-conditioned `denoised`), e.g. for previews. */
  readonly denoised: Float32Array;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** Plans an N-step schedule and resets any per-run state (step index, solver history). */
  setTimesteps(steps: number): void;
  /** The timesteps to visit, in order (the UNet's timestep input), after `setTimesteps`. */
  readonly timesteps: Float32Array;
  /** Noise levels per step plus the final one, for sigma-parameterised schedulers. */
  readonly sigmas?: Float32Array;
  /** Standard deviation of the initial latent noise. */
  readonly initNoiseSigma: number;
  /** The UNet's input for `sample` at `timestep` (a new array; `sample` is not changed). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /**
   * One denoising step from `timestep`. Call with the timesteps in order. Stochastic schedulers
   * (euler_a, lcm) draw their noise from `noise` only, and refuse to step without it.
   */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult;
}

export function isSchedulerName(name: unknown): name is SchedulerName {
  return typeof name === "string" && (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/** Builds a scheduler by name from a diffusers scheduler config (parsed scheduler_config.json). */
export function createScheduler(name: string, config: unknown): Scheduler {
  if (!isSchedulerName(name)) {
    throw new SchedulerError("unknown_scheduler", `unknown scheduler "${name}"; expected one of ${SCHEDULER_NAMES.join(", ")}`);
  }
  switch (name) {
    case "euler":
      return new EulerScheduler(eulerOptions(config));
    case "euler_a":
      return new EulerAncestralScheduler(eulerAncestralOptions(config));
    case "dpmpp_2m_karras":
      return new DpmppTwoMKarrasScheduler(dpmppTwoMKarrasOptions(config));
    case "ddim":
      return new DdimScheduler(ddimOptions(config));
    case "lcm":
      return new LcmScheduler(lcmOptions(config));
  }
}
