import { describe, expect, it } from "vitest";
import { createScheduler, SCHEDULER_NAMES, type Scheduler, type SchedulerName } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { SchedulerError } from "../../../gpu-runtime/schedulers/scheduler-error.ts";
import { seededNoise, type NoiseSource } from "../../../shared/noise/seeded-noise.ts";
import { goldenConfig, sdxlConfig } from "./fixtures.ts";

const N = 64;
const STOCHASTIC: readonly SchedulerName[] = ["euler_a", "lcm"];

function latents(seed: number): Float32Array {
  return seededNoise(seed).randn(N);
}

/** A stand-in UNet: any fixed function of the input and timestep will do for the state checks. */
function fakeModel(input: Float32Array, t: number): Float32Array {
  return input.map((x, i) => Math.sin(x + i * 0.1 + t / 1000));
}

function denoise(s: Scheduler, steps: number, noise: NoiseSource = seededNoise(7)): Float32Array {
  s.setTimesteps(steps);
  let x: Float32Array = latents(1).map((v) => v * s.initNoiseSigma);
  for (const t of s.timesteps) x = s.step(fakeModel(s.scaleModelInput(x, t), t), t, x, noise).prevSample;
  return x;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SchedulerError);
    return (err as SchedulerError).code;
  }
  return undefined;
}

describe("createScheduler", () => {
  it("builds every named scheduler from SDXL's scheduler config", () => {
    for (const name of SCHEDULER_NAMES) expect(createScheduler(name, sdxlConfig()).name).toBe(name);
  });

  it("refuses an unknown scheduler name, listing the known ones", () => {
    expect(codeOf(() => createScheduler("heun", sdxlConfig()))).toBe("unknown_scheduler");
    expect(() => createScheduler("heun", sdxlConfig())).toThrow(`unknown scheduler "heun"; expected one of ${SCHEDULER_NAMES.join(", ")}`);
  });

  it("lets the name fix the algorithm: dpmpp_2m_karras from SDXL's Euler config equals the one from its own config", () => {
    const fromSdxl = createScheduler("dpmpp_2m_karras", sdxlConfig());
    const fromOwn = createScheduler("dpmpp_2m_karras", goldenConfig("scheduler_dpmpp_2m_karras_25"));
    fromSdxl.setTimesteps(25);
    fromOwn.setTimesteps(25);
    expect(fromSdxl.timesteps).toEqual(fromOwn.timesteps);
    expect(fromSdxl.sigmas).toEqual(fromOwn.sigmas);
  });

  it("refuses a config that is not an object or has ill-typed fields", () => {
    expect(codeOf(() => createScheduler("euler", null))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("euler", [1, 2]))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("euler", { ...sdxlConfig(), beta_start: "0.1" }))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("ddim", { ...sdxlConfig(), beta_schedule: "quadratic" }))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("lcm", { ...sdxlConfig(), timestep_spacing: "random" }))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("euler", { ...sdxlConfig(), num_train_timesteps: 10.5 }))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("euler", { ...sdxlConfig(), trained_betas: [0.1, 0.2] }))).toBe("invalid_config");
    expect(codeOf(() => createScheduler("lcm", { ...sdxlConfig(), original_inference_steps: 2000 }))).toBe("invalid_config");
  });

  it("refuses options it does not implement instead of ignoring them", () => {
    expect(codeOf(() => createScheduler("ddim", { ...sdxlConfig(), thresholding: true }))).toBe("unsupported_config");
    expect(codeOf(() => createScheduler("euler", { ...sdxlConfig(), rescale_betas_zero_snr: true }))).toBe("unsupported_config");
    expect(codeOf(() => createScheduler("euler", { ...sdxlConfig(), interpolation_type: "log_linear" }))).toBe("unsupported_config");
    expect(codeOf(() => createScheduler("euler_a", { ...sdxlConfig(), prediction_type: "sample" }))).toBe("unsupported_config");
  });

  it("treats null fields as absent, as diffusers writes them", () => {
    const s = createScheduler("euler", { ...sdxlConfig(), trained_betas: null, sigma_min: null });
    s.setTimesteps(4);
    const reference = createScheduler("euler", sdxlConfig());
    reference.setTimesteps(4);
    expect(s.sigmas).toEqual(reference.sigmas);
  });
});

describe.each(SCHEDULER_NAMES)("%s", (name) => {
  const make = () => createScheduler(name, sdxlConfig());

  it("refuses a step count that is not a positive integer within the schedule", () => {
    const s = make();
    for (const bad of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1001]) {
      expect(codeOf(() => s.setTimesteps(bad))).toBe("invalid_steps");
    }
    expect(() => s.setTimesteps(0)).toThrow(/steps must be an integer from 1 to/);
  });

  it("plans exactly the requested number of descending timesteps", () => {
    const s = make();
    for (const steps of [1, 4, 25, 50]) {
      s.setTimesteps(steps);
      expect(s.timesteps).toHaveLength(steps);
      for (let i = 1; i < steps; i++) expect(s.timesteps[i]!).toBeLessThanOrEqual(s.timesteps[i - 1]!);
      if (s.sigmas) expect(s.sigmas).toHaveLength(steps + 1);
    }
  });

  it("refuses to step before setTimesteps", () => {
    const x = latents(1);
    expect(codeOf(() => make().step(x, 999, x, seededNoise(1)))).toBe("not_ready");
  });

  it("refuses a model output whose size differs from the sample", () => {
    const s = make();
    s.setTimesteps(4);
    const t = s.timesteps[0]!;
    expect(codeOf(() => s.step(new Float32Array(N - 1), t, latents(1), seededNoise(1)))).toBe("shape_mismatch");
  });

  it("refuses a timestep that is not in the schedule", () => {
    const s = make();
    s.setTimesteps(4);
    const x = latents(1);
    expect(codeOf(() => s.step(x, 1234.5, x, seededNoise(1)))).toBe("invalid_timestep");
  });

  it("gives the same result for the same inputs and noise, also after a reset", () => {
    const s = make();
    const first = denoise(s, 6);
    expect(denoise(s, 6)).toEqual(first);
    expect(denoise(make(), 6)).toEqual(first);
    expect(first.every(Number.isFinite)).toBe(true);
  });

  if (name !== "ddim") {
    it("refuses to step past the end of the schedule", () => {
      const s = make();
      denoise(s, 3);
      const x = latents(1);
      expect(codeOf(() => s.step(x, s.timesteps[2]!, x, seededNoise(1)))).toBe("schedule_finished");
    });

    it("refuses a timestep out of order", () => {
      const s = make();
      s.setTimesteps(4);
      const x = latents(1);
      s.step(x, s.timesteps[0]!, x, seededNoise(1));
      expect(codeOf(() => s.step(x, s.timesteps[2]!, x, seededNoise(1)))).toBe("invalid_timestep");
    });
  }

  if (STOCHASTIC.includes(name)) {
    it("refuses to add noise without a NoiseSource", () => {
      const s = make();
      s.setTimesteps(4);
      const x = latents(1);
      expect(codeOf(() => s.step(x, s.timesteps[0]!, x))).toBe("noise_required");
    });

    it("draws its noise only from the NoiseSource, one sample-sized draw per noisy step", () => {
      const s = make();
      const draws: number[] = [];
      const counting: NoiseSource = {
        randn: (n) => {
          draws.push(n);
          return seededNoise(draws.length).randn(n);
        },
      };
      denoise(s, 4, counting);
      // LCM returns its denoised estimate at the last step; Euler ancestral draws at every step.
      expect(draws).toEqual(Array(name === "lcm" ? 3 : 4).fill(N));
      // Different noise, different result: the draws are really used.
      expect(denoise(s, 4, seededNoise(8))).not.toEqual(denoise(s, 4, seededNoise(9)));
    });

    it("refuses a NoiseSource that returns the wrong number of values", () => {
      const s = make();
      s.setTimesteps(4);
      const x = latents(1);
      const short: NoiseSource = { randn: (n) => new Float32Array(n - 1) };
      expect(codeOf(() => s.step(x, s.timesteps[0]!, x, short))).toBe("shape_mismatch");
    });
  } else {
    it("is deterministic: it never asks for noise", () => {
      const s = make();
      const refusing: NoiseSource = {
        randn: () => {
          throw new Error("a deterministic scheduler drew noise");
        },
      };
      expect(denoise(s, 4, refusing)).toEqual(denoise(s, 4, seededNoise(3)));
    });
  }
});

describe("lcm", () => {
  it("refuses more steps than its distillation schedule (original_inference_steps) has", () => {
    const s = createScheduler("lcm", { ...sdxlConfig(), original_inference_steps: 50 });
    expect(codeOf(() => s.setTimesteps(51))).toBe("invalid_steps");
    expect(() => s.setTimesteps(51)).toThrow(/original_inference_steps/);
    s.setTimesteps(50);
    expect(s.timesteps).toHaveLength(50);
  });
});
