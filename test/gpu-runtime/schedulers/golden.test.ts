import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadGoldenCase } from "../../golden/golden-case.ts";
import { runGoldenCase } from "../../golden/runner.ts";
import { GOLDEN_DIR, goldenSchedulerCases } from "./fixtures.ts";

describe("scheduler golden cases (diffusers 0.26.3)", () => {
  const cases = goldenSchedulerCases();

  it("finds all five schedulers at 4 and 25 steps", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)("%s matches the reference within its tolerance", async (name) => {
    const path = join(GOLDEN_DIR, name);
    const result = await runGoldenCase(path);
    expect(result.reason).toBeUndefined();
    expect(result.component).toBe("scheduler");
    expect(result.maxAbsErr).not.toBeNull();
    expect(result.maxAbsErr!).toBeLessThanOrEqual(result.atol!);
    expect(result.pass).toBe(true);
    // Every recorded step was replayed and compared, not only the schedule.
    expect(Object.keys(result.detail ?? {}).filter((k) => k.endsWith(".prev_sample"))).toHaveLength(
      loadGoldenCase(path).meta.steps_recorded as number,
    );
  });
});
