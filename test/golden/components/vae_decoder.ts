import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import type { GraphOptions } from "../../../models/compiler/graph/graph-builder.ts";
import { assertVaeDecoderWeightsUsed, buildVaeDecoder } from "../../../models/compiler/vae-decoder.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../network-case.ts";

/** Compiles the case's own (full AutoencoderKL) checkpoint; every decoder tensor in it must be used. */
export function compile(c: GoldenCase, options: Partial<GraphOptions> = {}): Uint8Array {
  const ckpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  try {
    const w = new Weights(ckpt);
    const model = buildVaeDecoder(readCaseConfig(c), w, options).encode();
    assertVaeDecoderWeightsUsed(w);
    return model;
  } finally {
    ckpt.close();
  }
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  return runNetworkCase(c, compile(c));
}
