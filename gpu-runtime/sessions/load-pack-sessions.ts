/** Opens one ORT session per network of a pack, in the configured execution-provider order. */
import { join } from "node:path";
import { NETWORKS, type NetworkName, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { createSession, type ExecutionProvider, type ModelSession } from "../../shared/onnx/ort-session.ts";

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

export async function loadPackSessions(packDir: string, manifest: Pick<PackManifest, "networks">, cfg: SessionConfig): Promise<Map<NetworkName, ModelSession>> {
  const sessions = new Map<NetworkName, ModelSession>();
  try {
    for (const network of NETWORKS) {
      const file = manifest.networks[network];
      if (!file) throw new Error(`the pack has no ${network} network`);
      sessions.set(
        network,
        await createSession(join(packDir, file), {
          providers: [...cfg.providers],
          ...(cfg.threads > 0 ? { intraOpThreads: cfg.threads } : {}),
          ...(cfg.freeDimensionOverrides ? { freeDimensionOverrides: cfg.freeDimensionOverrides } : {}),
          ...(cfg.graphCapture ? { graphCapture: true } : {}),
          // ORT's arena would keep the decoder's activation peak (about 1 GB at 512² on the mid pack)
          // for the life of the process; without it the memory goes back after each decode.
          ...(network === "vae_decoder" ? { cpuMemArena: false } : {}),
        }),
      );
    }
  } catch (err) {
    await Promise.all([...sessions.values()].map((s) => s.release()));
    throw err;
  }
  return sessions;
}

export function reportSessions(sessions: ReadonlyMap<NetworkName, ModelSession>): SessionReport[] {
  return [...sessions].map(([network, s]) => ({ network, provider: s.provider, fallbacks: s.fallbacks }));
}
