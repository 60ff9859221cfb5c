/**
 * Reading a diffusers scheduler config (scheduler_config.json): field names as diffusers writes them,
 * each class's own defaults for absent fields, and a clear refusal of options this runtime does not implement.
 */
import { SchedulerError } from "./scheduler-error.ts";

/** A scheduler_config.json as parsed JSON. Keys another class uses are ignored, as diffusers' from_config does. */
export type DiffusersSchedulerConfig = Readonly<Record<string, unknown>>;

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type PredictionType = "epsilon" | "v_prediction" | "sample";
export type TimestepSpacing = "linspace" | "leading" | "trailing";

/** What the training noise schedule is built from. */
export interface NoiseScheduleConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** Explicit betas; when set, the three fields above are not used. */
  readonly trainedBetas: readonly number[] | null;
}

/** The fields every scheduler here shares, with the defaults of the diffusers class being built. */
export interface CommonSchedulerConfig extends NoiseScheduleConfig {
  readonly predictionType: PredictionType;
  readonly timestepSpacing: TimestepSpacing;
  readonly stepsOffset: number;
}

export interface CommonDefaults {
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  readonly timestepSpacing: TimestepSpacing;
}

/** Typed access to one config; `null` values count as absent (diffusers writes `"trained_betas": null`). */
export class ConfigReader {
  private readonly config: DiffusersSchedulerConfig;

  constructor(
    config: unknown,
    /** The scheduler being built, for error messages. */
    private readonly scheduler: string,
  ) {
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new SchedulerError("invalid_config", `${scheduler}: scheduler config must be a JSON object`);
    }
    this.config = config as DiffusersSchedulerConfig;
  }

  private value(key: string): unknown {
    const v = this.config[key];
    return v === null ? undefined : v;
  }

  private invalid(key: string, expected: string): SchedulerError {
    return new SchedulerError(
      "invalid_config",
      `${this.scheduler}: config field "${key}" must be ${expected}, got ${JSON.stringify(this.config[key])}`,
    );
  }

  number(key: string, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
    const v = this.value(key);
    if (v === undefined) return fallback;
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (!range.integer || Number.isInteger(v)) &&
      (range.min === undefined || v >= range.min) &&
      (range.max === undefined || v <= range.max);
    if (!ok) {
      const kind = range.integer ? "an integer" : "a finite number";
      const bounds = [range.min !== undefined ? `>= ${range.min}` : "", range.max !== undefined ? `<= ${range.max}` : ""]
        .filter(Boolean)
        .join(" and ");
      throw this.invalid(key, bounds ? `${kind} ${bounds}` : kind);
    }
    return v as number;
  }

  optionalNumber(key: string, range: { min?: number } = {}): number | null {
    return this.value(key) === undefined ? null : this.number(key, 0, range);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") throw this.invalid(key, "true or false");
    return v;
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      throw this.invalid(key, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    }
    return v as T;
  }

  numberArray(key: string): readonly number[] | null {
    const v = this.value(key);
    if (v === undefined) return null;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw this.invalid(key, "a non-empty array of finite numbers");
    }
    return v as number[];
  }

  /** Refuses a field whose value asks for behaviour this runtime does not implement. */
  refuse(key: string, isUnsupported: (value: unknown) => boolean, why: string): void {
    const v = this.value(key);
    if (v !== undefined && isUnsupported(v)) {
      throw new SchedulerError(
        "unsupported_config",
        `${this.scheduler}: config field "${key}" = ${JSON.stringify(v)} is not supported (${why})`,
      );
    }
  }

  common(defaults: CommonDefaults): CommonSchedulerConfig {
    this.refuse("rescale_betas_zero_snr", (v) => v === true, "zero-terminal-SNR rescaling is not implemented");
    const trainedBetas = this.numberArray("trained_betas");
    const numTrainTimesteps = this.number("num_train_timesteps", trainedBetas?.length ?? 1000, { integer: true, min: 2 });
    if (trainedBetas && trainedBetas.length !== numTrainTimesteps) {
      throw new SchedulerError(
        "invalid_config",
        `${this.scheduler}: trained_betas has ${trainedBetas.length} values but num_train_timesteps is ${numTrainTimesteps}`,
      );
    }
    if (trainedBetas && !trainedBetas.every((b) => b > 0 && b < 1)) throw this.invalid("trained_betas", "values in (0, 1)");
    const betaStart = this.number("beta_start", defaults.betaStart, { min: 0 });
    const betaEnd = this.number("beta_end", defaults.betaEnd, { min: 0, max: 1 });
    return {
      numTrainTimesteps,
      betaStart,
      betaEnd,
      betaSchedule: this.choice("beta_schedule", ["linear", "scaled_linear", "squaredcos_cap_v2"] as const, defaults.betaSchedule),
      trainedBetas,
      predictionType: this.choice("prediction_type", ["epsilon", "v_prediction", "sample"] as const, "epsilon"),
      timestepSpacing: this.choice("timestep_spacing", ["linspace", "leading", "trailing"] as const, defaults.timestepSpacing),
      stepsOffset: this.number("steps_offset", 0, { integer: true, min: 0 }),
    };
  }
}
