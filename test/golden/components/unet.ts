/**
 * UNet golden case: the case's model.safetensors plus the to_k_ip/to_v_ip weights of
 * ../adapter/ip-adapter.bin (a torch.save zip, keys "ip_adapter.N..."); num_ip_tokens from meta.json.
 */
import { join } from "node:path";
import { openCheckpoint } from "../../../shared/checkpoint/open-checkpoint.ts";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import type { GraphBuilder } from "../../../models/compiler/graph/graph-builder.ts";
import { buildUnet } from "../../../models/compiler/unet.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";
import { readCaseConfig, runNetworkCase, type NetworkCaseOptions } from "../network-case.ts";

export interface UnetCaseOptions extends NetworkCaseOptions {
  weightType?: "float32" | "float16";
}

function numIpTokensOf(c: GoldenCase): number {
  const n = c.meta.num_ip_tokens;
  if (typeof n !== "number") throw new Error(`${c.name}: meta.json has no numeric num_ip_tokens`);
  return n;
}

/** Compiles the case's UNet, checking every UNet and adapter-attention tensor was used. */
export function compileUnetCase(c: GoldenCase, weightType: "float32" | "float16" = "float32"): GraphBuilder {
  const unetCkpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  const adapterCkpt = openCheckpoint(join(c.path, "..", "adapter", "ip-adapter.bin"));
  try {
    const w = new Weights(unetCkpt);
    const ip = new Weights(adapterCkpt).scope("ip_adapter.");
    const g = buildUnet(readCaseConfig(c), w, ip, { numIpTokens: numIpTokensOf(c), weightType });
    w.assertAllUsed("UNet");
    ip.assertAllUsed("IP-Adapter attention");
    return g;
  } finally {
    unetCkpt.close();
    adapterCkpt.close();
  }
}

export async function runUnetCase(c: GoldenCase, o: UnetCaseOptions = {}): Promise<GoldenResult> {
  const model = compileUnetCase(c, o.weightType).encode();
  return runNetworkCase(c, model, o);
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  return runUnetCase(c);
}
