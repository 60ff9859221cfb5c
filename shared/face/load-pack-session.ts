/** Opens one model file of a pack, turning "not there" and "not loadable" into FaceAnalysisError. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createSession, type ModelSession } from "../onnx/ort-session.ts";
import { FaceAnalysisError } from "./face-analysis-error.ts";
import type { SessionConfig } from "./face-pack-config.ts";

export async function loadPackSession(dir: string, file: string, config: SessionConfig, hint: string): Promise<ModelSession> {
  const path = join(dir, file);
  if (!existsSync(path)) throw new FaceAnalysisError("pack_missing", `${path} is missing; ${hint}`);
  try {
    return await createSession(path, {
      ...(config.providers ? { providers: config.providers } : {}),
      intraOpThreads: config.intraOpThreads ?? 1,
    });
  } catch (err) {
    throw new FaceAnalysisError("pack_invalid", `${path} could not be loaded: ${(err as Error).message}`, { cause: err });
  }
}

/** Throws pack_invalid unless the session has the named inputs and outputs. */
export function expectIo(session: ModelSession, file: string, inputs: readonly string[], outputs: readonly string[]): void {
  const missing = [...inputs.filter((n) => !session.inputNames.includes(n)), ...outputs.filter((n) => !session.outputNames.includes(n))];
  if (missing.length) {
    throw new FaceAnalysisError(
      "pack_invalid",
      `${file}: expected inputs [${inputs}] and outputs [${outputs}], got [${session.inputNames}] -> [${session.outputNames}]`,
    );
  }
}
