import { describe, expect, it } from "vitest";
import { createScheduler } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { goldenTensor, sdxlConfig } from "./fixtures.ts";

describe("euler", () => {
  it("with Karras sigmas over the full range, plans DPM++ 2M Karras's noise levels and timesteps", () => {
    const euler = createScheduler("euler", { ...sdxlConfig(), use_karras_sigmas: true, timestep_spacing: "linspace" });
    const dpm = createScheduler("dpmpp_2m_karras", sdxlConfig());
    euler.setTimesteps(25);
    dpm.setTimesteps(25);
    expect(euler.sigmas).toEqual(goldenTensor("scheduler_dpmpp_2m_karras_25", "out.sigmas"));
    expect(Array.from(euler.timesteps, Math.round)).toEqual(Array.from(dpm.timesteps));
    // Fractional timesteps: Euler keeps the interpolated value, DPM-Solver rounds it.
    expect(euler.timesteps.some((t) => !Number.isInteger(t))).toBe(true);
    // "linspace" starts at t_max, so the initial noise is the largest sigma itself.
    expect(euler.initNoiseSigma).toBe(euler.sigmas![0]);
  });

  it("honours sigma_min / sigma_max for the Karras range", () => {
    const s = createScheduler("euler", { ...sdxlConfig(), use_karras_sigmas: true, sigma_min: 0.1, sigma_max: 10 });
    s.setTimesteps(10);
    expect(s.sigmas![0]).toBeCloseTo(10, 5);
    expect(s.sigmas![9]).toBeCloseTo(0.1, 6);
    expect(s.sigmas![10]).toBe(0);
  });

  describe.each(["euler", "ddim"] as const)("%s timestep_spacing (diffusers' table of spacings)", (name) => {
    const plan = (spacing: string, steps: number) => {
      const s = createScheduler(name, { ...sdxlConfig(), timestep_spacing: spacing, steps_offset: 1 });
      s.setTimesteps(steps);
      return Array.from(s.timesteps);
    };
    const gaps = (t: number[]) => t.slice(1).map((v, i) => t[i]! - v);

    it.each([4, 7, 25])("leading: equal whole steps of 1000 // %i, ending at steps_offset", (steps) => {
      const t = plan("leading", steps);
      expect(t.at(-1)).toBe(1);
      expect(new Set(gaps(t))).toEqual(new Set([Math.floor(1000 / steps)]));
    });

    it.each([4, 7, 25])("trailing: starts at the last training step, gaps of 1000 / %i rounded", (steps) => {
      const t = plan("trailing", steps);
      expect(t[0]).toBe(999);
      for (const g of gaps(t)) expect(Math.abs(g - 1000 / steps)).toBeLessThanOrEqual(1);
    });

    it.each([4, 7, 25])("linspace: spans the whole training range in %i steps", (steps) => {
      const t = plan("linspace", steps);
      expect([t[0], t.at(-1)]).toEqual([999, 0]);
      // DDIM rounds to whole training steps; Euler keeps the fractions.
      expect(t.every(Number.isInteger)).toBe(name === "ddim" || 999 % (steps - 1) === 0);
    });
  });
});
