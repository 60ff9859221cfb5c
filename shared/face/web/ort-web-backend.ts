/**
 * The browser backend: a pack's files fetched over HTTP, checked against their pinned sha256
 * before onnxruntime-web sees a byte, and opened on the first execution provider that loads them
 * (WebGPU, then wasm where the device has no WebGPU). The caller passes the onnxruntime-web module
 * (the `onnxruntime-web/webgpu` build in the page; the plain one in Node tests) with its env set.
 */
import type * as OrtWeb from "onnxruntime-web";
import type { Tensor } from "../../tensor/tensor.ts";
import { FaceAnalysisError } from "../face-analysis-error.ts";
import type { FaceBackend, FaceSession } from "../face-session.ts";

export type OrtWebModule = typeof OrtWeb;
export type WebExecutionProvider = "webgpu" | "wasm";

export interface PackFileSource {
  /** Where to fetch the file from. */
  readonly url: string;
  /** Lower-case hex sha256 of the file's bytes. */
  readonly sha256: string;
}

export interface WebFaceBackendOptions {
  readonly ort: OrtWebModule;
  /** File name -> where it is and what it must hash to. */
  readonly files: Readonly<Record<string, PackFileSource>>;
  /** Tried in order, per model; default ["webgpu", "wasm"]. */
  readonly executionProviders?: readonly WebExecutionProvider[];
  readonly fetch?: (url: string) => Promise<Response>;
}

export interface WebFaceSession extends FaceSession {
  readonly provider: WebExecutionProvider;
  /** Why earlier providers in the list were skipped (e.g. no WebGPU adapter). */
  readonly fallbacks: readonly { readonly provider: WebExecutionProvider; readonly reason: string }[];
}

export interface WebFaceBackend extends FaceBackend {
  openSession(file: string, hint: string): Promise<WebFaceSession>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

export function webFaceBackend(options: WebFaceBackendOptions): WebFaceBackend {
  const { ort } = options;
  const providers = options.executionProviders?.length ? options.executionProviders : (["webgpu", "wasm"] as const);
  const get = options.fetch ?? ((url: string) => fetch(url));
  return {
    async openSession(file, hint) {
      const source = options.files[file];
      if (!source) throw new FaceAnalysisError("pack_missing", `${file} is not in the pack's file list; ${hint}`);
      let response: Response;
      try {
        response = await get(source.url);
      } catch (err) {
        throw new FaceAnalysisError("pack_missing", `${source.url} could not be fetched: ${(err as Error).message}`, { cause: err });
      }
      if (!response.ok) throw new FaceAnalysisError("pack_missing", `${source.url} answered ${response.status}; ${hint}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const sum = await sha256Hex(bytes);
      if (sum !== source.sha256) {
        throw new FaceAnalysisError("pack_invalid", `${file} has sha256 ${sum}, expected ${source.sha256}; refusing it`);
      }
      const fallbacks: { provider: WebExecutionProvider; reason: string }[] = [];
      for (const provider of providers) {
        try {
          // One provider per attempt, so the session says which one really loaded it.
          const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider], graphOptimizationLevel: "all" });
          return wrap(ort, session, provider, fallbacks);
        } catch (err) {
          fallbacks.push({ provider, reason: (err as Error).message });
        }
      }
      throw new FaceAnalysisError("pack_invalid", `${file} could not be loaded: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join("; ")}`);
    },
  };
}

function wrap(ort: OrtWebModule, session: OrtWeb.InferenceSession, provider: WebExecutionProvider, fallbacks: WebFaceSession["fallbacks"]): WebFaceSession {
  return {
    provider,
    fallbacks,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, OrtWeb.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.dtype as OrtWeb.Tensor.Type, t.data as never, t.shape as number[]);
      const results = await session.run(ortFeeds);
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(results)) {
        // Outputs are read back to the CPU (the default output location): getData() works for every location.
        const data = (await t.getData()) as Tensor["data"];
        out[name] = { dtype: t.type as Tensor["dtype"], shape: [...t.dims], data };
        t.dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}
