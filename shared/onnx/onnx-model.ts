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
