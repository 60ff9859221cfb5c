import { closeSync, openSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { float32ToHalfArray } from "../../../shared/tensor/float16.ts";
import type { Float32Tensor } from "../../../shared/tensor/tensor.ts";
import { onnx, type AttributeInit, type ModelProtoInit, type NodeProtoInit, type TensorProtoInit, type ValueInfoInit } from "./onnx-proto.ts";

export type ElemType = "float32" | "float16" | "int64" | "int32" | "bool";
export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | { ints: number[] };

/** One initializer and the checkpoint tensor it came from (so a mismatch can be reported by name). */
export interface WeightRecord {
  initializer: string;
  checkpointKey: string;
  shape: readonly number[];
  transform: "none" | "transpose";
}

export interface GraphOptions {
  name: string;
  opset?: number;
  /** How weights are stored in the file. */
  weightType?: "float32" | "float16";
  /** What the graph computes in. float16 compute implies float16 weights. */
  computeType?: "float32" | "float16";
  /** Record weights without their data (with Weights.dryRun()): for counting parameters; encode() refuses. */
  dryRun?: boolean;
  /**
   * Unmasked attention as one com.microsoft MultiHeadAttention node (ORT's fused kernel on cpu, cuda and
   * webgpu) instead of MatMul/Softmax/MatMul. Off by default: the plain ops run on every provider.
   */
  fusedAttention?: boolean;
}

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Over this many bytes of initializers, a model must keep them in an external data file (protobuf's 2 GB cap). */
export const EXTERNAL_DATA_THRESHOLD = 1_800_000_000;

interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  bytes: Uint8Array;
}

/**
 * Builds one ONNX graph: named inputs/outputs, initializers and nodes, then serialises it.
 * Values are plain strings (ONNX value names); helpers in ../layers give them meaning.
 */
export class GraphBuilder {
  readonly opset: number;
  readonly weightType: "float32" | "float16";
  readonly computeType: "float32" | "float16";
  readonly weights: WeightRecord[] = [];
  private readonly nodes: NodeProtoInit[] = [];
  private readonly inputs: ValueInfoInit[] = [];
  private readonly outputs: ValueInfoInit[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly scopes: string[] = [];
  private readonly constCache = new Map<string, string>();
  private counter = 0;

  constructor(readonly options: GraphOptions) {
    this.opset = options.opset ?? 17;
    this.computeType = options.computeType ?? "float32";
    this.weightType = this.computeType === "float16" ? "float16" : (options.weightType ?? "float32");
  }

  /** Names nodes and values created inside fn under a dotted prefix (readable graphs, no semantic effect). */
  scoped<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  fresh(hint: string): string {
    const scope = this.scopes.length ? `${this.scopes.join(".")}/` : "";
    return `${scope}${hint}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A graph input in the external float32 interface; cast to the compute type inside. */
  floatInput(name: string, dims: Dim[]): string {
    this.input(name, "float32", dims);
    return this.computeType === "float32" ? name : this.op("Cast", [name], { to: ELEM.float16 });
  }

  output(name: string, value: string, type: ElemType, dims: Dim[]): void {
    this.node("Identity", [value], [name]);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float output, cast back to float32 from the compute type. */
  floatOutput(name: string, value: string, dims: Dim[]): void {
    const v = this.computeType === "float32" ? value : this.op("Cast", [value], { to: ELEM.float32 });
    this.output(name, v, "float32", dims);
  }

  /**
   * A checkpoint tensor as an initializer named after its key. Stored as weightType; cast to the
   * compute type when they differ (ORT folds that cast once at load).
   */
  weight(t: Float32Tensor, checkpointKey: string, transform: "none" | "transpose" = "none"): string {
    let data = t.data;
    let dims = [...t.shape];
    if (this.options.dryRun) {
      this.weights.push({ initializer: checkpointKey, checkpointKey, shape: t.shape, transform });
      return checkpointKey;
    }
    if (transform === "transpose") {
      if (dims.length !== 2) throw new Error(`transpose of ${checkpointKey} needs a matrix`);
      data = transpose2d(data, dims[0]!, dims[1]!);
      dims = [dims[1]!, dims[0]!];
    }
    const name = transform === "none" ? checkpointKey : `${checkpointKey}:T`;
    if (this.initializers.some((i) => i.name === name)) throw new Error(`initializer ${name} added twice`);
    this.weights.push({ initializer: name, checkpointKey, shape: t.shape, transform });
    this.addFloatInitializer(name, data, dims, this.weightType);
    if (this.weightType === this.computeType) return name;
    return this.op("Cast", [name], { to: ELEM[this.computeType] });
  }

  /**
   * A weight whose checkpoint tensor is known only once more of the graph is built: returns the value
   * name to use now, and `resolve` adds the initializer (and any cast, placed first in the graph, so
   * the node order stays topological) under that name later.
   */
  deferredWeight(name: string): { value: string; resolve: (t: Float32Tensor, checkpointKey: string, transform?: "none" | "transpose") => void } {
    let resolved = false;
    return {
      value: name,
      resolve: (t, checkpointKey, transform = "none") => {
        if (resolved) throw new Error(`deferred weight ${name} resolved twice`);
        resolved = true;
        if (this.options.dryRun) {
          this.weights.push({ initializer: name, checkpointKey, shape: t.shape, transform });
          return;
        }
        if (transform === "transpose" && t.shape.length !== 2) throw new Error(`transpose of ${checkpointKey} needs a matrix`);
        const data = transform === "transpose" ? transpose2d(t.data, t.shape[0]!, t.shape[1]!) : t.data;
        const dims = transform === "transpose" ? [t.shape[1]!, t.shape[0]!] : [...t.shape];
        const stored = this.weightType === this.computeType ? name : `${name}:stored`;
        if (this.initializers.some((i) => i.name === stored)) throw new Error(`initializer ${stored} added twice`);
        this.weights.push({ initializer: stored, checkpointKey, shape: t.shape, transform });
        this.addFloatInitializer(stored, data, dims, this.weightType);
        if (stored !== name) {
          this.nodes.unshift({ opType: "Cast", name: this.fresh("Cast"), input: [stored], output: [name], attribute: [attribute("to", ELEM[this.computeType])] });
        }
      },
    };
  }

  /** A float constant in the compute type (deduplicated). */
  constFloat(values: ArrayLike<number>, dims: number[] = []): string {
    const data = Float32Array.from(values);
    const key = `f:${dims.join(",")}:${Array.from(data).join(",")}`;
    const cached = data.length <= 64 ? this.constCache.get(key) : undefined;
    if (cached) return cached;
    const name = this.fresh("const");
    this.addFloatInitializer(name, data, dims, this.computeType);
    if (data.length <= 64) this.constCache.set(key, name);
    return name;
  }

  /** An int64 constant (shapes, axes); deduplicated. */
  constInt64(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims.join(",")}:${values.join(",")}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.fresh("shape");
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, type: "int64", dims, bytes: new Uint8Array(data.buffer) });
    this.constCache.set(key, name);
    return name;
  }

  /** Adds a node with fresh output names and returns them. */
  ops(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputCount = 1, domain?: string): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(type));
    this.node(type, inputs, outputs, attrs, domain);
    return outputs;
  }

  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string): string {
    return this.ops(type, inputs, attrs, 1, domain)[0]!;
  }

  node(type: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string): void {
    this.nodes.push({
      opType: type,
      name: this.fresh(type),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  get initializerBytes(): number {
    return this.initializers.reduce((s, i) => s + i.bytes.byteLength, 0);
  }

  /**
   * The serialised model. With `externalDataPath`, every initializer over 1 KB goes to that file
   * (written here) and the model refers to it by its base name, as ORT expects beside the .onnx.
   */
  encode(options: { externalDataPath?: string } = {}): Uint8Array {
    if (this.options.dryRun) throw new Error(`${this.options.name}: a dry-run graph has no weights to encode`);
    const external = options.externalDataPath;
    if (!external && this.initializerBytes > EXTERNAL_DATA_THRESHOLD) {
      throw new Error(`${this.options.name}: ${this.initializerBytes} bytes of weights need an external data file`);
    }
    let fd: number | undefined;
    let offset = 0;
    const tensors: TensorProtoInit[] = [];
    try {
      if (external) fd = openSync(external, "w");
      for (const init of this.initializers) {
        const proto: TensorProtoInit = { name: init.name, dataType: ELEM[init.type], dims: init.dims };
        if (fd !== undefined && init.bytes.byteLength > 1024) {
          const pad = (64 - (offset % 64)) % 64; // keep each tensor aligned for mmap
          if (pad) writeSync(fd, new Uint8Array(pad));
          offset += pad;
          writeSync(fd, init.bytes);
          proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
          proto.externalData = [
            { key: "location", value: basename(external!) },
            { key: "offset", value: String(offset) },
            { key: "length", value: String(init.bytes.byteLength) },
          ];
          offset += init.bytes.byteLength;
        } else {
          proto.rawData = init.bytes;
        }
        tensors.push(proto);
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const model: ModelProtoInit = {
      irVersion: 8,
      producerName: "instantid-edge",
      opsetImport: [
        { domain: "", version: this.opset },
        ...(this.nodes.some((n) => n.domain === "com.microsoft") ? [{ domain: "com.microsoft", version: 1 }] : []),
      ],
      graph: {
        name: this.options.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: tensors,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private addFloatInitializer(name: string, data: Float32Array, dims: number[], type: "float32" | "float16"): void {
    const bytes = type === "float32" ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(float32ToHalfArray(data).buffer);
    this.initializers.push({ name, type, dims, bytes });
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): ValueInfoInit {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): AttributeInit {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; use {float: ${v}}`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ("float" in v) return { name, type: T.FLOAT, f: v.float };
  if ("floats" in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.INTS, ints: v.ints };
}

export const ONNX_ELEM = ELEM;
