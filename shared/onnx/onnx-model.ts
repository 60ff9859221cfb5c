/** Reading ONNX model files back (what ORT wrote after optimising, or a pack's graph), without ORT. */
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export type ModelProto = import("onnx-proto").onnx.ModelProto;

export function decodeModel(model: string | Uint8Array): ModelProto {
  return onnx.ModelProto.decode(typeof model === "string" ? readFileSync(model) : model);
}

/** How many nodes of each operator type the graph has ("com.microsoft:Gelu" for non-default domains). */
export function opCounts(model: string | Uint8Array | ModelProto): Map<string, number> {
  const m = typeof model === "string" || model instanceof Uint8Array ? decodeModel(model) : model;
  const counts = new Map<string, number>();
  for (const n of m.graph?.node ?? []) {
    const key = n.domain && n.domain !== "ai.onnx" ? `${n.domain}:${n.opType}` : n.opType!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * The model with the named symbolic dimensions of its inputs and outputs fixed (what ORT's free-dimension
 * overrides do; onnxruntime-node does not expose them). Returns how many dims it fixed.
 */
export function fixDimensions(m: ModelProto, sizes: Readonly<Record<string, number>>): number {
  let fixed = 0;
  for (const v of [...(m.graph?.input ?? []), ...(m.graph?.output ?? [])]) {
    for (const d of v.type?.tensorType?.shape?.dim ?? []) {
      const size = d.dimParam ? sizes[d.dimParam] : undefined;
      if (size === undefined) continue;
      // dim_value and dim_param are a oneof: the param must be absent, not empty, for the value to stand
      delete (d as { dimParam?: string | null }).dimParam;
      d.dimValue = size;
      fixed++;
    }
  }
  return fixed;
}

export function encodeModelProto(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}
