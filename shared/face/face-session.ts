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
  /**
   * True when the model takes a leading batch dimension of any size and answers each row exactly (to
   * the byte) as it answers that row alone, so rows of several faces or photos can share one run.
   */
  readonly batchable?: boolean;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/**
 * One input per row, each [1, ...]: one run of the rows stacked when the session is batchable, else one
 * run per row. Every output is split back into rows (each [1, ...]).
 */
export async function runRows(session: FaceSession, input: string, rows: readonly Tensor[]): Promise<Record<string, Tensor>[]> {
  if (rows.length === 0) return [];
  if (!session.batchable || rows.length === 1) {
    const out: Record<string, Tensor>[] = [];
    for (const row of rows) out.push(await session.run({ [input]: row }));
    return out;
  }
  const first = rows[0]!;
  const len = first.data.length;
  const data = new Float32Array(len * rows.length);
  rows.forEach((r, i) => {
    if (r.data.length !== len || r.shape[0] !== 1) throw new RangeError(`runRows: rows must each be [1, ...] of one size`);
    data.set(r.data as Float32Array, i * len);
  });
  const outputs = await session.run({ [input]: { dtype: "float32", shape: [rows.length, ...first.shape.slice(1)], data } });
  return rows.map((_, i) => {
    const row: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(outputs)) {
      if (t.shape[0] !== rows.length) throw new RangeError(`runRows: output ${name} has ${t.shape[0]} rows for ${rows.length} inputs`);
      const per = t.data.length / rows.length;
      row[name] = { dtype: t.dtype, shape: [1, ...t.shape.slice(1)], data: t.data.slice(i * per, (i + 1) * per) } as Tensor;
    }
    return row;
  });
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
        ...(session.batchable ? { batchable: true } : {}),
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
