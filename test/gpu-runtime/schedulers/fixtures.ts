/** Golden scheduler cases as test inputs: their configs (SDXL's scheduler_config with overrides) and recorded tensors. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";

export const GOLDEN_DIR = join(import.meta.dirname, "../../fixtures/golden");

export function goldenSchedulerCases(): string[] {
  return readdirSync(GOLDEN_DIR).filter((name) => name.startsWith("scheduler_")).sort();
}

export function goldenConfig(caseName: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, caseName, "config.json"), "utf8")) as Record<string, unknown>;
}

/** SDXL's own scheduler config (EulerDiscreteScheduler), as the euler case records it. */
export function sdxlConfig(): Record<string, unknown> {
  return goldenConfig("scheduler_euler_4");
}

export function goldenTensor(caseName: string, tensor: string): Float32Array {
  const io = SafetensorsFile.open(join(GOLDEN_DIR, caseName, "io.safetensors"));
  try {
    return io.readFloat32(tensor).data;
  } finally {
    io.close();
  }
}
