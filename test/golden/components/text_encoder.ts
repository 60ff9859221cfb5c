import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { buildClipTextEncoder } from "../../../models/compiler/clip-text-encoder.ts";
import type { GraphOptions } from "../../../models/compiler/graph/graph-builder.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../network-case.ts";

/** Compiles the case's own checkpoint; every tensor in it must be used. */
export function compile(c: GoldenCase, options: Partial<GraphOptions> = {}): Uint8Array {
  const ckpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  try {
    const w = new Weights(ckpt);
    const model = buildClipTextEncoder(readCaseConfig(c), w, options).encode();
    w.assertAllUsed("CLIP text encoder");
    return model;
  } finally {
    ckpt.close();
  }
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  return runNetworkCase(c, compile(c));
}
