/**
 * Golden cases for compiled networks: compile the case's own checkpoint, feed every `in.*`
 * tensor to the graph input of the same name, compare every `out.*` with the output of that name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../../shared/checkpoint/safetensors.ts";
import { createSession, type GraphOptimizationLevel, type SessionOptions } from "../../shared/onnx/ort-session.ts";
import { maxAbsDiff, type Tensor } from "../../shared/tensor/tensor.ts";
import { atolOf, type GoldenCase, type GoldenResult } from "./golden-case.ts";

export interface NetworkCaseOptions {
  optimization?: GraphOptimizationLevel;
  /** Multiplies the case's atol (fp16 weights are held to 10x the fp32 tolerance). */
  atolFactor?: number;
  /** Further session options (e.g. the ones the runtime opens this network with). */
  sessionOptions?: Omit<SessionOptions, "graphOptimizationLevel">;
}

export function readCaseConfig(c: GoldenCase): unknown {
  const p = join(c.path, "config.json");
  if (!existsSync(p)) throw new Error(`${c.name}: no config.json`);
  return JSON.parse(readFileSync(p, "utf8"));
}

export async function runNetworkCase(c: GoldenCase, model: Uint8Array, o: NetworkCaseOptions = {}): Promise<GoldenResult> {
  const io = SafetensorsFile.open(join(c.path, "io.safetensors"));
  const session = await createSession(model, { ...o.sessionOptions, graphOptimizationLevel: o.optimization ?? "all" });
  try {
    const feeds: Record<string, Tensor> = {};
    for (const name of io.names()) if (name.startsWith("in.")) feeds[name.slice(3)] = io.read(name);
    const missing = session.inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new Error(`${c.name}: the case gives no input for ${missing.join(", ")}`);
    for (const k of Object.keys(feeds)) if (!session.inputNames.includes(k)) delete feeds[k];
    // A case with nothing to compare would pass vacuously.
    if (!io.names().some((n) => n.startsWith("out."))) throw new Error(`${c.name}: the case has no out.* tensors to compare`);
    const outputs = await session.run(feeds);
    const detail: Record<string, number> = {};
    let maxAbsErr = 0;
    for (const name of io.names()) {
      if (!name.startsWith("out.")) continue;
      const key = name.slice(4);
      const got = outputs[key];
      if (!got) throw new Error(`${c.name}: the compiled graph has no output "${key}"`);
      const err = maxAbsDiff(got.data as Float32Array, io.readFloat32(name).data);
      detail[key] = err;
      maxAbsErr = Math.max(maxAbsErr, err);
    }
    const atol = atolOf(c) * (o.atolFactor ?? 1);
    return { case: c.name, component: c.component, maxAbsErr, atol, pass: maxAbsErr <= atol, detail };
  } finally {
    io.close();
    await session.release();
  }
}
