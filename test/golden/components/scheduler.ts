/**
 * Golden scheduler cases: a diffusers scheduler config, N steps, and recorded calls. Checks timesteps,
 * sigmas (when recorded), init_noise_sigma, then replays each recorded step in order (the multistep solver
 * keeps history) with its recorded sample, model output and noise, comparing scaled_input, prev_sample and
 * denoised (when recorded). maxAbsErr is the largest error over all of them; `detail` names each.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createScheduler } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { replayedNoise } from "../../../shared/noise/seeded-noise.ts";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { maxAbsDiff } from "../../../shared/tensor/tensor.ts";
import { atolOf, type GoldenCase, type GoldenResult } from "../golden-case.ts";

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const atol = atolOf(c);
  const name = c.meta.scheduler;
  const steps = c.meta.steps;
  if (typeof name !== "string" || typeof steps !== "number") throw new Error(`${c.name}: meta.json needs "scheduler" and "steps"`);
  const config = JSON.parse(readFileSync(join(c.path, "config.json"), "utf8")) as unknown;
  const io = SafetensorsFile.open(join(c.path, "io.safetensors"));
  try {
    const has = new Set(io.names());
    const read = (tensor: string) => io.readFloat32(tensor).data;
    const detail: Record<string, number> = {};

    const scheduler = createScheduler(name, config);
    scheduler.setTimesteps(steps);
    const timesteps = read("out.timesteps");
    detail.timesteps = maxAbsDiff(scheduler.timesteps, timesteps);
    if (has.has("out.sigmas")) {
      if (!scheduler.sigmas) throw new Error(`${c.name}: sigmas recorded but scheduler "${name}" has none`);
      detail.sigmas = maxAbsDiff(scheduler.sigmas, read("out.sigmas"));
    }
    detail.init_noise_sigma = Math.abs(scheduler.initNoiseSigma - read("out.init_noise_sigma")[0]!);

    for (let i = 0; has.has(`step${i}.sample`); i++) {
      const p = `step${i}.`;
      const t = timesteps[i]!;
      const sample = read(`${p}sample`);
      detail[`${p}scaled_input`] = maxAbsDiff(scheduler.scaleModelInput(sample, t), read(`${p}scaled_input`));
      const noise = has.has(`${p}noise`) ? replayedNoise([read(`${p}noise`)]) : undefined;
      const result = scheduler.step(read(`${p}model_output`), t, sample, noise);
      detail[`${p}prev_sample`] = maxAbsDiff(result.prevSample, read(`${p}prev_sample`));
      if (has.has(`${p}denoised`)) detail[`${p}denoised`] = maxAbsDiff(result.denoised, read(`${p}denoised`));
    }

    const maxAbsErr = Math.max(...Object.values(detail));
    return { case: c.name, component: c.component, maxAbsErr, atol, pass: maxAbsErr <= atol, detail };
  } finally {
    io.close();
  }
}
