import { closeSync, openSync, readSync } from "node:fs";
import { CheckpointError } from "./checkpoint-error.ts";
import { SafetensorsFile } from "./safetensors.ts";
import type { TensorSource } from "./tensor-source.ts";
import { TorchCheckpoint } from "./torch-checkpoint.ts";

export type CheckpointFormat = "safetensors" | "torch";

/**
 * Which format a checkpoint is, from its first bytes rather than its name (a `.bin` may be either):
 * a zip local header is torch.save's, an 8-byte length then `{` is safetensors'.
 */
export function sniffCheckpoint(head: Uint8Array, file?: string): CheckpointFormat {
  if (head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "torch";
  if (head.byteLength >= 9 && head[8] === 0x7b) return "safetensors";
  if (head.byteLength >= 2 && head[0] === 0x80 && head[1] <= 5) {
    throw new CheckpointError("malformed", "a bare pickle: the legacy (pre-1.6) torch.save format is not supported; re-save it with a recent torch", file);
  }
  if (head.byteLength < 9) throw new CheckpointError("truncated", `file is ${head.byteLength} bytes, too short to be a checkpoint`, file);
  throw new CheckpointError("malformed", "neither a safetensors file nor a torch.save zip", file);
}

export function openCheckpoint(path: string): TensorSource {
  const head = new Uint8Array(9);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, head.byteLength, 0);
  } finally {
    closeSync(fd);
  }
  return sniffCheckpoint(head.subarray(0, n), path) === "torch" ? TorchCheckpoint.open(path) : SafetensorsFile.open(path);
}
