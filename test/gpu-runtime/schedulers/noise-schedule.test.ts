import { describe, expect, it } from "vitest";
import { noiseSchedule, trainingBetas } from "../../../gpu-runtime/schedulers/noise-schedule.ts";
import { roundHalfEven } from "../../../gpu-runtime/schedulers/numpy-compat.ts";
import { createScheduler } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { ConfigReader, type BetaSchedule } from "../../../gpu-runtime/schedulers/scheduler-config.ts";
import { sdxlConfig } from "./fixtures.ts";

const configOf = (overrides: Record<string, unknown>) =>
  new ConfigReader({ ...sdxlConfig(), ...overrides }, "test").common({
    betaStart: 0.0001,
    betaEnd: 0.02,
    betaSchedule: "linear",
    timestepSpacing: "leading",
  });

const increasing = (a: Float32Array) => a.every((v, i) => i === 0 || v > a[i - 1]!);

describe("training noise schedule", () => {
  it.each(["linear", "scaled_linear"] as const)("%s betas run from beta_start to beta_end", (schedule: BetaSchedule) => {
    const c = configOf({ beta_schedule: schedule });
    const betas = trainingBetas(c);
    expect(betas).toHaveLength(c.numTrainTimesteps);
    expect(betas[0]).toBeCloseTo(c.betaStart, 9);
    expect(betas.at(-1)).toBeCloseTo(c.betaEnd, 8);
    expect(increasing(betas)).toBe(true);
  });

  it("squaredcos_cap_v2 follows alphā(t) = cos²((t/T + s)/(1 + s) · π/2), normalised at t = 0", () => {
    const { alphasCumprod, sigmas } = noiseSchedule(configOf({ beta_schedule: "squaredcos_cap_v2" }));
    const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 100, 500, 900]) expect(alphasCumprod[t]).toBeCloseTo(f((t + 1) / 1000) / f(0), 5);
    expect(increasing(sigmas)).toBe(true);
  });

  it("uses trained_betas verbatim when given", () => {
    const betas = Array.from(trainingBetas(configOf({})));
    const fromBetas = createScheduler("euler", { ...sdxlConfig(), beta_start: 0.5, trained_betas: betas });
    const reference = createScheduler("euler", sdxlConfig());
    fromBetas.setTimesteps(10);
    reference.setTimesteps(10);
    expect(fromBetas.sigmas).toEqual(reference.sigmas);
  });
});

describe("numpy rounding", () => {
  it("rounds halves to the even neighbour, as np.round does", () => {
    expect([0.5, 1.5, 2.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -2, -2, 2, 3]);
  });
});
