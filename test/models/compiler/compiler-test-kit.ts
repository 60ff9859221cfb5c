/** Helpers the compiler tests share: checkpoints in memory to tamper with, one-shot runs, batching. */
import { expect } from "vitest";
import { CompileError } from "../../../models/compiler/compile-error.ts";
import { openCheckpoint } from "../../../shared/checkpoint/open-checkpoint.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";
import { float32, type Tensor } from "../../../shared/tensor/tensor.ts";

/** Every tensor of a checkpoint (safetensors or torch zip) whose name starts with `prefix`; the tiny cases are small. */
export function readTensors(path: string, prefix = ""): Map<string, Tensor> {
  const ckpt = openCheckpoint(path);
  try {
    return new Map(ckpt.names().filter((n) => n.startsWith(prefix)).map((n) => [n, ckpt.read(n)]));
  } finally {
    ckpt.close();
  }
}

/** The CompileError `fn` throws; fails the test if it throws something else or nothing. */
export function compileError(fn: () => unknown): CompileError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CompileError);
    return err as CompileError;
  }
  throw new Error("expected a CompileError");
}

/** Runs a model once on cpu and releases its session. */
export async function runModel(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await createSession(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The same sample twice along the batch axis. */
export function twice(t: Tensor): Tensor {
  const d = t.data as Float32Array;
  const out = new Float32Array(d.length * 2);
  out.set(d);
  out.set(d, d.length);
  return float32(out, [2 * t.shape[0]!, ...t.shape.slice(1)]);
}
