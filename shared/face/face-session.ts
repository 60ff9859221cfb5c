/**
 * What the face maths needs from an inference engine, so the same detector, landmark, alignment
 * and embedding code runs on onnxruntime-node (the Node edge, the runtime) and on onnxruntime-web
 * (a browser or phone web view). A backend opens a pack's model files; a session runs one of them.
 */
import type { Tensor } from "../tensor/tensor.ts";
import { FaceAnalysisError } from "./face-analysis-error.ts";

export interface FaceSession {
  /** The execution provider that loaded the model ("cpu", "cuda", "webgpu", "wasm", ...). */
  readonly provider: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface FaceBackend {
  /**
   * Opens one model file of the pack. Fails with FaceAnalysisError `pack_missing` when the file is
   * not there (`hint` says how to get it) and `pack_invalid` when it cannot be loaded.
   */
  openSession(file: string, hint: string): Promise<FaceSession>;
}

/** Throws pack_invalid unless the session has the named inputs and outputs. */
export function expectIo(session: FaceSession, file: string, inputs: readonly string[], outputs: readonly string[]): void {
  const missing = [...inputs.filter((n) => !session.inputNames.includes(n)), ...outputs.filter((n) => !session.outputNames.includes(n))];
  if (missing.length) {
    throw new FaceAnalysisError(
      "pack_invalid",
      `${file}: expected inputs [${inputs}] and outputs [${outputs}], got [${session.inputNames}] -> [${session.outputNames}]`,
    );
  }
}

/** One run of one network, as a timed backend reports it. */
export interface SessionRunTiming {
  readonly file: string;
  readonly provider: string;
  readonly ms: number;
}

/**
 * The same backend, reporting how long each run took (wall clock of the awaited run, so on WebGPU
 * it includes the read-back of the outputs). For display and benchmarks only.
 */
export function timedBackend(backend: FaceBackend, onRun: (timing: SessionRunTiming) => void): FaceBackend {
  return {
    async openSession(file, hint) {
      const session = await backend.openSession(file, hint);
      return {
        provider: session.provider,
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds) {
          const t0 = performance.now();
          const out = await session.run(feeds);
          onRun({ file, provider: session.provider, ms: performance.now() - t0 });
          return out;
        },
        release: () => session.release(),
      };
    },
  };
}
