/**
 * The one module that imports onnxruntime-node: session creation, execution-provider
 * choice with fallback, and tensor conversion. Everything else speaks our Tensor type.
 */
import * as ort from "onnxruntime-node";
import type { Tensor } from "../tensor/tensor.ts";

export type ExecutionProvider = "cpu" | "webgpu" | "cuda";
export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionOptions {
  /** Tried in order; a provider that fails to start is skipped with its reason recorded. */
  providers?: ExecutionProvider[];
  graphOptimizationLevel?: GraphOptimizationLevel;
  intraOpThreads?: number;
}

export interface ModelSession {
  readonly provider: ExecutionProvider;
  /** Why earlier providers in the list were skipped. */
  readonly fallbacks: { provider: ExecutionProvider; reason: string }[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const providers = options.providers?.length ? options.providers : (["cpu"] as ExecutionProvider[]);
  const fallbacks: { provider: ExecutionProvider; reason: string }[] = [];
  for (const provider of providers) {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    };
    try {
      const session =
        typeof model === "string"
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return wrap(session, provider, fallbacks);
    } catch (err) {
      fallbacks.push({ provider, reason: (err as Error).message });
    }
  }
  throw new Error(`no execution provider could load the model: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join("; ")}`);
}

function wrap(session: ort.InferenceSession, provider: ExecutionProvider, fallbacks: ModelSession["fallbacks"]): ModelSession {
  return {
    provider,
    fallbacks,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
      const results = await session.run(ortFeeds);
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(results)) out[name] = fromOrt(t);
      return out;
    },
    release: () => session.release(),
  };
}

export function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as never, t.shape as number[]);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as Tensor["dtype"];
  return { dtype, shape: [...t.dims], data: t.data as Tensor["data"] };
}
