/**
 * The Node backend: a pack's files from a folder, opened with onnxruntime-node (shared/onnx), with
 * "not there" and "not loadable" turned into FaceAnalysisError.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createSession, type ModelSession } from "../onnx/ort-session.ts";
import { openBatchable } from "./batchable-model.ts";
import { FaceAnalysisError } from "./face-analysis-error.ts";
import type { SessionConfig } from "./face-pack-config.ts";
import type { FaceBackend } from "./face-session.ts";

export async function loadPackSession(dir: string, file: string, config: SessionConfig, hint: string): Promise<ModelSession & { readonly batchable?: boolean }> {
  const path = join(dir, file);
  if (!existsSync(path)) throw new FaceAnalysisError("pack_missing", `${path} is missing; ${hint}`);
  const options = { ...(config.providers ? { providers: config.providers } : {}), intraOpThreads: config.intraOpThreads ?? 1 };
  try {
    if (config.batchRows) {
      const batched = await openBatchable(path, options);
      if (batched) return { ...batched, batchable: true };
    }
    return await createSession(path, options);
  } catch (err) {
    throw new FaceAnalysisError("pack_invalid", `${path} could not be loaded: ${(err as Error).message}`, { cause: err });
  }
}

/** The pack in `dir`, on onnxruntime-node with the config's providers and threads. */
export function nodeFaceBackend(dir: string, config: SessionConfig = {}): FaceBackend {
  return { openSession: (file, hint) => loadPackSession(dir, file, config, hint) };
}
