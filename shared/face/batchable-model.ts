/**
 * A face network made to take a batch: exports of the face packs fix their inputs' and outputs' first
 * dimension to 1 (and some reshape to a constant [1, ...] before the output, as MobileFaceNet does), so
 * rows of several faces cannot share a run. The rewrite names that dimension `batch` and turns a leading
 * 1 in a constant Reshape target into 0 (copy the input's first dimension). Whether the result really
 * answers each row as the original answers it alone is not assumed: openBatchable checks it to the byte
 * on seeded rows before anyone relies on it. Node only (reads the model file).
 */
import { decodeModel, encodeModelProto, onnx } from "../onnx/onnx-model.ts";
import { createSession, type ModelSession, type SessionOptions } from "../onnx/ort-session.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** The rewritten model and its inputs' per-row shapes, or undefined when it cannot take a batch. */
export function batchableModel(path: string): { model: Uint8Array; rowShapes: Map<string, number[]> } | undefined {
  const m = decodeModel(path);
  const g = m.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const inputs = (g.input ?? []).filter((i) => !inits.has(i.name!));
  const rowShapes = new Map<string, number[]>();
  for (const v of [...inputs, ...(g.output ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    const first = dims[0];
    if (!first) return undefined;
    const rest = dims.slice(1).map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? Number(d.dimValue) : NaN));
    // per-row dims must be known to check the rewrite (and, for inputs, to be stacked)
    if (inputs.includes(v) && rest.some((d) => !(d > 0))) return undefined;
    if (inputs.includes(v)) rowShapes.set(v.name!, rest);
    if (first.dimParam) continue;
    if (Number(first.dimValue) !== 1) return undefined;
    delete (first as { dimValue?: unknown }).dimValue;
    first.dimParam = "batch";
  }
  for (const n of g.node ?? []) {
    if (n.opType !== "Reshape") continue;
    const target = inits.get(n.input?.[1] ?? "");
    if (!target) continue;
    const values = target.int64Data?.length ? target.int64Data.map(Number) : Array.from(new BigInt64Array(rawCopy(target.rawData)), Number);
    if (values[0] !== 1) continue;
    values[0] = 0;
    // a fresh initializer: the old one may feed other nodes
    const name = `${target.name}/batch`;
    if (!inits.has(name)) {
      const t = onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims: target.dims, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) });
      g.initializer!.push(t);
      inits.set(name, t);
    }
    n.input![1] = name;
  }
  const used = new Set((g.node ?? []).flatMap((n) => n.input ?? []));
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name!) || (g.output ?? []).some((o) => o.name === t.name));
  return { model: encodeModelProto(m), rowShapes };
}

function rawCopy(raw: Uint8Array | null | undefined): ArrayBuffer {
  const copy = new Uint8Array(raw?.byteLength ?? 0);
  if (raw) copy.set(raw);
  return copy.buffer;
}

/**
 * The model opened batchable when each row of a seeded batch of three comes out of one run exactly as
 * it does alone; otherwise undefined (the caller opens the original).
 */
export async function openBatchable(path: string, options: SessionOptions): Promise<ModelSession | undefined> {
  let rewritten: ReturnType<typeof batchableModel>;
  try {
    rewritten = batchableModel(path);
  } catch {
    return undefined;
  }
  if (!rewritten) return undefined;
  const session = await createSession(rewritten.model, options).catch(() => undefined);
  if (!session) return undefined;
  try {
    const rows = 3;
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const feed = (n: number, offset: number): Record<string, Tensor> => {
      const feeds: Record<string, Tensor> = {};
      for (const [name, shape] of rewritten.rowShapes) {
        const len = shape.reduce((a, b) => a * b, 1);
        seed = 12345 + offset;
        feeds[name] = { dtype: "float32", shape: [n, ...shape], data: Float32Array.from({ length: n * len }, rand) };
      }
      return feeds;
    };
    const together = await session.run(stackRows(rows, (k) => feed(1, k)));
    for (let k = 0; k < rows; k++) {
      const alone = await session.run(feed(1, k));
      for (const [name, t] of Object.entries(alone)) {
        const all = together[name];
        if (!all || all.shape[0] !== rows) throw new Error("not batched");
        const per = all.data.length / rows;
        if (per !== t.data.length) throw new Error("row size differs");
        const row = all.data.subarray(k * per, (k + 1) * per);
        for (let i = 0; i < per; i++) if (!Object.is(row[i], t.data[i])) throw new Error("rows differ");
      }
    }
    return session;
  } catch {
    await session.release();
    return undefined;
  }
}

function stackRows(rows: number, row: (k: number) => Record<string, Tensor>): Record<string, Tensor> {
  const parts = Array.from({ length: rows }, (_, k) => row(k));
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(parts[0]!)) {
    const first = parts[0]![name]!;
    const data = new Float32Array(first.data.length * rows);
    parts.forEach((p, k) => data.set(p[name]!.data as Float32Array, k * first.data.length));
    out[name] = { dtype: "float32", shape: [rows, ...first.shape.slice(1)], data };
  }
  return out;
}
