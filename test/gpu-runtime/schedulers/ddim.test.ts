import { describe, expect, it } from "vitest";
import { seededNoise } from "../../../shared/noise/seeded-noise.ts";
import { createScheduler } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { goldenConfig } from "./fixtures.ts";

const config = goldenConfig("scheduler_ddim_4");
const x = seededNoise(1).randn(64).map((v) => v * 3);
const eps = seededNoise(2).randn(64);

describe("ddim", () => {
  it("clips the predicted x_0 to clip_sample_range when clip_sample is on", () => {
    const s = createScheduler("ddim", { ...config, clip_sample: true, clip_sample_range: 0.5 });
    s.setTimesteps(4);
    const { denoised } = s.step(eps, s.timesteps[0]!, x);
    expect(Math.max(...denoised.map(Math.abs))).toBe(0.5);
    const unclipped = createScheduler("ddim", config);
    unclipped.setTimesteps(4);
    expect(Math.max(...unclipped.step(eps, s.timesteps[0]!, x).denoised.map(Math.abs))).toBeGreaterThan(0.5);
  });

  it("ends on the clean estimate only when set_alpha_to_one is on", () => {
    const last = (setAlphaToOne: boolean) => {
      const s = createScheduler("ddim", { ...config, set_alpha_to_one: setAlphaToOne });
      s.setTimesteps(4);
      return s.step(eps, s.timesteps[3]!, x);
    };
    expect(last(true).prevSample).toEqual(last(true).denoised);
    expect(last(false).prevSample).not.toEqual(last(false).denoised);
  });
});
