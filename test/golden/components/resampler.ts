import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { buildResampler } from "../../../models/compiler/resampler.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../network-case.ts";

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const ckpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  try {
    const w = new Weights(ckpt);
    const model = buildResampler(readCaseConfig(c), w).encode();
    w.assertAllUsed("Resampler");
    return await runNetworkCase(c, model);
  } finally {
    ckpt.close();
  }
}
