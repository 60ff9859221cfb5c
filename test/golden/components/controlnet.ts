/** IdentityNet golden case: the case's ControlNetModel checkpoint; encoder_hidden_states are the face tokens only. */
import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { buildControlNet } from "../../../models/compiler/controlnet.ts";
import type { GraphBuilder } from "../../../models/compiler/graph/graph-builder.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";
import { readCaseConfig, runNetworkCase, type NetworkCaseOptions } from "../network-case.ts";

export interface ControlNetCaseOptions extends NetworkCaseOptions {
  weightType?: "float32" | "float16";
}

/** Compiles the case's ControlNet, checking every checkpoint tensor was used. */
export function compileControlNetCase(c: GoldenCase, weightType: "float32" | "float16" = "float32"): GraphBuilder {
  const ckpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  try {
    const w = new Weights(ckpt);
    const g = buildControlNet(readCaseConfig(c), w, { weightType });
    w.assertAllUsed("ControlNet");
    return g;
  } finally {
    ckpt.close();
  }
}

export async function runControlNetCase(c: GoldenCase, o: ControlNetCaseOptions = {}): Promise<GoldenResult> {
  return runNetworkCase(c, compileControlNetCase(c, o.weightType).encode(), o);
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  return runControlNetCase(c);
}
