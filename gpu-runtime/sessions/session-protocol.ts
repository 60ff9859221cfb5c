/** Messages between the runtime's main thread and its inference workers. */
import type { NetworkName } from "../../shared/pack/pack-manifest.ts";
import type { ExecutionProvider } from "../../shared/onnx/ort-session.ts";
import type { Outputs } from "../pipeline/networks.ts";
import type { SessionReport } from "./load-pack-sessions.ts";
import type { WireFeeds } from "./tensor-refs.ts";

/** workerData of every inference worker. */
export interface SessionWorkerData {
  readonly packDir: string;
  readonly providers: readonly ExecutionProvider[];
  readonly threads: number;
  /** Budget for tensors kept between calls (see tensor-refs.ts). */
  readonly refCacheBytes: number;
  /** false: IdentityNet and the UNet as two sessions (for A/B benchmarks); default fused. */
  readonly fuseDenoiser?: boolean;
}

export type SessionRequest =
  | { readonly kind: "run"; readonly network: NetworkName; readonly feeds: WireFeeds }
  | { readonly kind: "chain"; readonly first: NetworkName; readonly firstFeeds: WireFeeds; readonly second: NetworkName; readonly secondFeeds: WireFeeds }
  | { readonly kind: "describe" };

export type SessionResponse =
  | {
      readonly kind: "outputs";
      readonly outputs: Outputs;
      /** Time inside ORT for this call. */
      readonly ortMs: number;
      /** Bytes that crossed between JS and ORT in the worker for this call. */
      readonly transferBytes: number;
    }
  | { readonly kind: "description"; readonly sessions: SessionReport[] }
  /** The call named tensors this worker no longer holds: send it again with their data. */
  | { readonly kind: "missing"; readonly refs: number[] };
