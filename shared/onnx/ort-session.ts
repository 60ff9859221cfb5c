/**
 * The one module that imports onnxruntime-node: session creation, execution-provider
 * choice with fallback, and tensor conversion. Everything else speaks our Tensor type, or holds
 * DeviceTensors (outputs left with ORT) without looking inside.
 */
import { dirname } from "node:path";
import * as ort from "onnxruntime-node";
import type { Tensor } from "../tensor/tensor.ts";
import { decodeModel, encodeModelProto, fixDimensions } from "./onnx-model.ts";

export type ExecutionProvider = "cpu" | "webgpu" | "cuda";
export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /** Tried in order; a provider that fails to start is skipped with its reason recorded. */
  providers?: ExecutionProvider[];
  graphOptimizationLevel?: GraphOptimizationLevel;
  intraOpThreads?: number;
  /** false: no CPU memory arena, so a large one-off activation peak (the VAE's) is returned after the run. */
  cpuMemArena?: boolean;
  /**
   * false: no memory pattern (ORT otherwise plans one block for all of a run's activations from the
   * first run's shapes and allocates it whole on every later run).
   */
  memPattern?: boolean;
  /** ORT graph optimisers left out by name (e.g. "NchwcTransformer"), at any optimisation level. */
  disabledOptimizers?: readonly string[];
  /** Where ORT writes the graph it optimised (to check what it fused). */
  optimizedModelFilePath?: string;
  /**
   * Fixes symbolic dimensions (e.g. height: 128) for a session specialised to one served resolution:
   * the graph's input/output dims are rewritten before loading, so ORT plans for that shape alone.
   */
  freeDimensionOverrides?: Record<string, number>;
  /**
   * webgpu: capture the graph on its first run and replay it (ORT's enableGraphCapture); it needs fixed
   * shapes (freeDimensionOverrides) and every input and output in device memory. Ignored on cpu.
   */
  graphCapture?: boolean;
  /** 0 (verbose) .. 4; 0 logs where each node was placed. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Names this session in ORT's log lines ("[V:onnxruntime:<logId>, ..."), so a log can be read per session. */
  logId?: string;
  /** For a model given as bytes whose initializers live in external files: the folder they are in. */
  externalDataFolder?: string;
}

/** A tensor ORT produced and keeps (in device memory on a GPU provider): fed back without JS reading it. */
export interface DeviceTensor {
  readonly kind: "device";
  readonly dims: readonly number[];
  /** Whether its data is in JS-reachable memory (cpu) or a device buffer. */
  readonly location: "cpu" | "gpu-buffer";
}

export type Feed = Tensor | DeviceTensor;

/** Bytes that crossed between JS and ORT, both ways, since the session was created. */
export interface TransferCounter {
  toOrt: number;
  fromOrt: number;
}

export interface ModelSession {
  readonly provider: ExecutionProvider;
  /** Why earlier providers in the list were skipped. */
  readonly fallbacks: { provider: ExecutionProvider; reason: string }[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** What it was made from, so a derived graph can be opened the same way. */
  readonly source: { readonly model: string | Uint8Array; readonly options: SessionOptions };
  readonly transfer: TransferCounter;
  run(feeds: Record<string, Feed>): Promise<Record<string, Tensor>>;
  /** Runs and leaves every output with ORT (in device memory where the provider has it). */
  runToDevice(feeds: Record<string, Feed>): Promise<Record<string, DeviceTensor>>;
  release(): Promise<void>;
}

const ORT_CONFIG_EXTERNAL_FOLDER = "session.model_external_initializers_file_folder_path";
const ORT_CONFIG_DISABLED_OPTIMIZERS = "optimization.disable_specified_optimizers";

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const providers = options.providers?.length ? options.providers : (["cpu"] as ExecutionProvider[]);
  const fallbacks: { provider: ExecutionProvider; reason: string }[] = [];
  if (options.freeDimensionOverrides && Object.keys(options.freeDimensionOverrides).length) {
    // onnxruntime-node has no free-dimension overrides: the graph's own input/output dims are fixed instead
    const proto = decodeModel(model);
    fixDimensions(proto, options.freeDimensionOverrides);
    const folder = options.externalDataFolder ?? (typeof model === "string" ? dirname(model) : undefined);
    const { freeDimensionOverrides: _done, ...rest } = options;
    const session = await createSession(encodeModelProto(proto), { ...rest, ...(folder ? { externalDataFolder: folder } : {}) });
    return { ...session, source: { model, options: { ...options, providers: [session.provider] } } };
  }
  for (const provider of providers) {
    try {
      const session = await open(model, provider, options, false);
      return wrap(session, provider, fallbacks, model, options);
    } catch (err) {
      fallbacks.push({ provider, reason: (err as Error).message });
    }
  }
  throw new Error(`no execution provider could load the model: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join("; ")}`);
}

function open(model: string | Uint8Array, provider: ExecutionProvider, o: SessionOptions, deviceOutputs: boolean): Promise<ort.InferenceSession> {
  // the node binding takes session config entries as flat "a.b.c" string keys
  const extra: Record<string, string> = {};
  if (o.externalDataFolder) extra[ORT_CONFIG_EXTERNAL_FOLDER] = o.externalDataFolder;
  if (o.disabledOptimizers?.length) extra[ORT_CONFIG_DISABLED_OPTIMIZERS] = o.disabledOptimizers.join(",");
  const ep: ort.InferenceSession.ExecutionProviderConfig = provider;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: o.graphOptimizationLevel ?? "all",
    ...(o.intraOpThreads ? { intraOpNumThreads: o.intraOpThreads } : {}),
    ...(o.cpuMemArena === false ? { enableCpuMemArena: false } : {}),
    ...(o.memPattern === false ? { enableMemPattern: false } : {}),
    ...(o.optimizedModelFilePath ? { optimizedModelFilePath: o.optimizedModelFilePath } : {}),
    ...(o.logSeverityLevel !== undefined ? { logSeverityLevel: o.logSeverityLevel } : {}),
    ...(o.logId ? { logId: o.logId } : {}),
    ...(o.graphCapture && provider === "webgpu" ? { enableGraphCapture: true } : {}),
    ...(deviceOutputs && provider === "webgpu" ? { preferredOutputLocation: "gpu-buffer" as const } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
}

/** The ort.Tensor behind each DeviceTensor (never exposed: only this module touches ORT). */
const deviceData = new WeakMap<DeviceTensor, ort.Tensor>();
/** JS tensors already handed to a cpu session: ORT reads them in place, so they cross once. */
const boundOnCpu = new WeakMap<Tensor, ort.Tensor>();

function wrap(
  session: ort.InferenceSession,
  provider: ExecutionProvider,
  fallbacks: ModelSession["fallbacks"],
  model: string | Uint8Array,
  options: SessionOptions,
): ModelSession {
  const transfer: TransferCounter = { toOrt: 0, fromOrt: 0 };
  let deviceSession: Promise<ort.InferenceSession> | undefined;
  const feedsOf = (feeds: Record<string, Feed>) => {
    const out: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) out[name] = toOrtCounted(t, provider, transfer);
    return out;
  };
  return {
    provider,
    fallbacks,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    source: { model, options: { ...options, providers: [provider] } },
    transfer,
    async run(feeds) {
      const results = await session.run(feedsOf(feeds));
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = fromOrt(t);
        transfer.fromOrt += (t.data as ArrayBufferView).byteLength;
      }
      return out;
    },
    async runToDevice(feeds) {
      // ORT fixes output locations when a session is created: device outputs get a second session, opened on first use
      const s = provider === "cpu" ? session : await (deviceSession ??= open(model, provider, options, true));
      const results = await s.run(feedsOf(feeds));
      const out: Record<string, DeviceTensor> = {};
      for (const [name, t] of Object.entries(results)) {
        const location = t.location === "gpu-buffer" ? "gpu-buffer" : "cpu";
        // on cpu the binding still copies each output into a JS buffer: that crossing is counted
        if (location === "cpu") transfer.fromOrt += (t.data as ArrayBufferView).byteLength;
        const d: DeviceTensor = { kind: "device", dims: [...t.dims], location };
        deviceData.set(d, t);
        out[name] = d;
      }
      return out;
    },
    async release() {
      await session.release();
      if (deviceSession) await (await deviceSession).release();
    },
  };
}

function toOrtCounted(t: Feed, provider: ExecutionProvider, transfer: TransferCounter): ort.Tensor {
  if ("kind" in t) {
    const o = deviceData.get(t);
    if (!o) throw new Error("a device tensor from another process or a released session");
    return o;
  }
  if (provider === "cpu") {
    const known = boundOnCpu.get(t);
    if (known) return known;
    const o = toOrt(t);
    boundOnCpu.set(t, o);
    transfer.toOrt += t.data.byteLength;
    return o;
  }
  // a GPU provider uploads host feeds on every run
  transfer.toOrt += t.data.byteLength;
  return toOrt(t);
}

export function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as never, t.shape as number[]);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as Tensor["dtype"];
  return { dtype, shape: [...t.dims], data: t.data as Tensor["data"] };
}

/** Whether a feed is a JS tensor (as opposed to one left with ORT). */
export function isDeviceTensor(t: Feed): t is DeviceTensor {
  return "kind" in t && (t as DeviceTensor).kind === "device";
}

/** The folder a model file's external data is resolved in. */
export function modelFolder(path: string): string {
  return dirname(path);
}
