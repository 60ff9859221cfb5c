/** Where a run is in its schedule, and the checks every `setTimesteps`/`step` call shares. */
import type { NoiseSource } from "../../shared/noise/seeded-noise.ts";
import { SchedulerError } from "./scheduler-error.ts";

/** Refuses a step count that is not a whole number in [1, max]. */
export function checkStepCount(scheduler: string, steps: number, max: number, why = "num_train_timesteps"): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new SchedulerError("invalid_steps", `${scheduler}: steps must be an integer from 1 to ${max} (${why}), got ${steps}`);
  }
}

/** Refuses a model output that does not match the sample it denoises. */
export function checkStepInput(scheduler: string, modelOutput: Float32Array, sample: Float32Array): void {
  if (modelOutput.length !== sample.length || sample.length === 0) {
    throw new SchedulerError(
      "shape_mismatch",
      `${scheduler}: model output has ${modelOutput.length} values, sample ${sample.length} (must be equal and non-zero)`,
    );
  }
}

/**
 * The step index of a run. The first call locates the timestep in the schedule as diffusers does (the second
 * occurrence if it repeats, so a run entered part-way does not skip a noise level); later calls must pass
 * the timestep at the current index, which `advance()` moves on.
 */
export class StepCursor {
  private index: number | null = null;

  constructor(private readonly scheduler: string) {}

  reset(): void {
    this.index = null;
  }

  at(timesteps: Float32Array, timestep: number): number {
    if (timesteps.length === 0) throw new SchedulerError("not_ready", `${this.scheduler}: call setTimesteps before stepping`);
    if (this.index === null) {
      const matches: number[] = [];
      timesteps.forEach((t, i) => t === timestep && matches.push(i));
      if (matches.length === 0) {
        throw new SchedulerError("invalid_timestep", `${this.scheduler}: timestep ${timestep} is not in the schedule`);
      }
      this.index = matches.length > 1 ? matches[1]! : matches[0]!;
    }
    if (this.index >= timesteps.length) {
      throw new SchedulerError("schedule_finished", `${this.scheduler}: all ${timesteps.length} steps are done; call setTimesteps to start again`);
    }
    if (timesteps[this.index] !== timestep) {
      throw new SchedulerError(
        "invalid_timestep",
        `${this.scheduler}: step ${this.index} expects timestep ${timesteps[this.index]}, got ${timestep}`,
      );
    }
    return this.index;
  }

  advance(): void {
    if (this.index !== null) this.index++;
  }
}

/** Refuses a stochastic step without a noise source (before any state changes). */
export function requireNoise(scheduler: string, source: NoiseSource | undefined): NoiseSource {
  if (!source) throw new SchedulerError("noise_required", `${scheduler}: this scheduler adds noise at this step; pass a NoiseSource`);
  return source;
}

/** The step's noise draw, refusing a source that returns the wrong count. */
export function drawNoise(scheduler: string, source: NoiseSource, n: number): Float32Array {
  const noise = source.randn(n);
  if (noise.length !== n) throw new SchedulerError("shape_mismatch", `${scheduler}: noise source returned ${noise.length} values, ${n} requested`);
  return noise;
}
