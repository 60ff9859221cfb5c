/** Opens one ORT session per network of a pack, in the configured execution-provider order. */
import { join } from "node:path";
import { NETWORKS, type NetworkName, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { createSession, type ExecutionProvider, type ModelSession, type SessionOptions } from "../../shared/onnx/ort-session.ts";
import type { SessionSource } from "./fused-denoiser.ts";

export interface SessionConfig {
  readonly providers: readonly ExecutionProvider[];
  /** ORT intra-op threads per session (0: ORT's default). */
  readonly threads: number;
  /**
   * Symbolic dimensions fixed to one served resolution (height, width, height_1..., image_height,
   * image_width), so the provider can plan kernels and memory for that shape alone.
   */
  readonly freeDimensionOverrides?: Record<string, number>;
  /** webgpu: capture each graph on its first run and replay it (needs freeDimensionOverrides). */
  readonly graphCapture?: boolean;
}

export interface SessionReport {
  readonly network: NetworkName;
  readonly provider: ExecutionProvider;
  readonly fallbacks: readonly { provider: ExecutionProvider; reason: string }[];
}

/** The session options a network of the pack opens with. */
export function networkSessionOptions(network: NetworkName, cfg: SessionConfig): SessionOptions {
  return {
    providers: [...cfg.providers],
    ...(cfg.threads > 0 ? { intraOpThreads: cfg.threads } : {}),
    ...(cfg.freeDimensionOverrides ? { freeDimensionOverrides: cfg.freeDimensionOverrides } : {}),
    ...(cfg.graphCapture ? { graphCapture: true } : {}),
    ...(network === "vae_decoder"
      ? {
          // ORT's arena would keep the decoder's activation peak (about 1 GB at 512² on the mid pack)
          // for the life of the process; without it the memory goes back after each decode.
          cpuMemArena: false,
          // cpu's NCHWc layout (blocked channels) keeps a reordered copy of every conv weight and
          // reorder buffers between convs: on the mid pack at 512² the decoder took 130 MB loaded and
          // peaked 430-500 MB over that with it, 48 MB and 330 MB without, at the same decode time.
          // (The denoiser keeps it: there it is 12% of a step.)
          disabledOptimizers: ["NchwcTransformer"],
        }
      : {}),
  };
}

/** The model file and session options a network of the pack opens with. */
export function packSessionSource(packDir: string, manifest: Pick<PackManifest, "networks">, network: NetworkName, cfg: SessionConfig): SessionSource {
  const file = manifest.networks[network];
  if (!file) throw new Error(`the pack has no ${network} network`);
  return { source: { model: join(packDir, file), options: networkSessionOptions(network, cfg) } };
}

/** Opens the named networks' sessions (default: all of them), one after another. */
export async function loadPackSessions(
  packDir: string,
  manifest: Pick<PackManifest, "networks">,
  cfg: SessionConfig,
  networks: readonly NetworkName[] = NETWORKS,
): Promise<Map<NetworkName, ModelSession>> {
  const sessions = new Map<NetworkName, ModelSession>();
  try {
    for (const network of networks) {
      const { model, options } = packSessionSource(packDir, manifest, network, cfg).source;
      sessions.set(network, await createSession(model, options));
    }
  } catch (err) {
    await Promise.all([...sessions.values()].map((s) => s.release()));
    throw err;
  }
  return sessions;
}
