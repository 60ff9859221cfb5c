/**
 * Networks over ORT sessions held in this thread: what each inference worker runs, and what the golden
 * test uses directly. Also adds up the time spent inside ORT and the bytes that crossed into and out of it.
 *
 * IdentityNet followed by the UNet (the denoising step) runs as one fused session with its
 * per-generation constants bound once (fused-denoiser.ts). Opened from a pack (SessionNetworks.load),
 * the two separate sessions are never opened: the fused graphs load straight from the pack's files.
 * Given open sessions instead, it releases those two when it fuses them. Either way they are (re)opened
 * only if something asks for one of them alone.
 */
import { NETWORKS, type NetworkName, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { LANE_SAMPLE, ROW_LANES } from "../../shared/onnx/denoiser-graph.ts";
import { createSession, type ModelSession } from "../../shared/onnx/ort-session.ts";
import type { Tensor } from "../../shared/tensor/tensor.ts";
import type { Feeds, Networks, Outputs } from "../pipeline/networks.ts";
import { FusedDenoiser, type SessionSource } from "./fused-denoiser.ts";
import { loadPackSessions, packSessionSource, type SessionConfig, type SessionReport } from "./load-pack-sessions.ts";

/** The networks the fused denoiser replaces. */
const DENOISER_PARTS: readonly NetworkName[] = ["controlnet", "unet"];

export interface SessionNetworksOptions {
  /** Run IdentityNet + UNet as one fused session (default true); false keeps the two-session chain. */
  readonly fuseDenoiser?: boolean;
  /**
   * Networks known only by what they open from (not opened): the fused denoiser is made from them,
   * or they are opened on first use.
   */
  readonly unopened?: ReadonlyMap<NetworkName, SessionSource>;
}

export class SessionNetworks implements Networks {
  /** Milliseconds spent inside session.run since creation. */
  ortMs = 0;
  /** Why the fused denoiser is not in use, when it could not be opened. */
  denoiserFallback?: string;
  private readonly sessions: Map<NetworkName, ModelSession>;
  /** Networks with no open session of their own: what each would be opened from. */
  private readonly released = new Map<NetworkName, SessionSource>();
  private readonly reopened = new Map<NetworkName, Promise<ModelSession>>();
  private denoiser?: Promise<FusedDenoiser | undefined>;
  /** Bytes counted by sessions this object no longer holds. */
  private retiredBytes = 0;

  constructor(
    sessions: ReadonlyMap<NetworkName, ModelSession>,
    private readonly options: SessionNetworksOptions = {},
  ) {
    this.sessions = new Map(sessions);
    for (const [name, source] of options.unopened ?? []) if (!this.sessions.has(name)) this.released.set(name, source);
  }

  /**
   * A pack's networks in this thread. With the fused denoiser (the default) IdentityNet's and the UNet's
   * own sessions are never opened, so their weights are never held twice, not even for the moment between
   * releasing them and opening the fused graphs (freed memory does not always go back to the system at
   * once). The fused graphs open first, while the process holds the least.
   */
  static async load(packDir: string, manifest: Pick<PackManifest, "networks">, cfg: SessionConfig, options: Omit<SessionNetworksOptions, "unopened"> = {}): Promise<SessionNetworks> {
    const fuse = options.fuseDenoiser !== false;
    const deferred = fuse ? DENOISER_PARTS : [];
    const unopened = new Map(deferred.map((n) => [n, packSessionSource(packDir, manifest, n, cfg)] as const));
    const early = new SessionNetworks(new Map(), { ...options, unopened });
    // opened before the other sessions; a denoiser that cannot open leaves the two networks to open on demand
    if (fuse) await early.describeDenoiser();
    try {
      const sessions = await loadPackSessions(packDir, manifest, cfg, NETWORKS.filter((n) => !deferred.includes(n)));
      for (const [name, s] of sessions) early.sessions.set(name, s);
    } catch (err) {
      await early.release();
      throw err;
    }
    return early;
  }

  /** Which provider runs each network (IdentityNet and the UNet: the fused denoiser's, when they run fused). */
  async report(): Promise<SessionReport[]> {
    const fused = this.options.fuseDenoiser === false ? undefined : await this.denoiser;
    const reports: SessionReport[] = [];
    for (const network of NETWORKS) {
      const open = this.sessions.get(network);
      if (open) {
        reports.push({ network, provider: open.provider, fallbacks: open.fallbacks });
        continue;
      }
      if (!this.released.has(network)) continue;
      const s = fused && DENOISER_PARTS.includes(network) ? fused.denoiser : await this.session(network);
      reports.push({ network, provider: s.provider, fallbacks: s.fallbacks });
    }
    return reports;
  }

  /** Bytes that crossed between JS and ORT (both ways) in every session since creation. */
  get transferBytes(): number {
    let n = this.retiredBytes;
    for (const s of this.sessions.values()) n += s.transfer.toOrt + s.transfer.fromOrt;
    return n + this.fusedBytes;
  }

  private fusedBytes = 0;

  async run(network: NetworkName, feeds: Feeds): Promise<Outputs> {
    const s = await this.session(network);
    // Extra feeds (e.g. IdentityNet outputs the UNet does not take) are dropped; missing ones fail in ORT by name.
    const used: Feeds = {};
    for (const name of s.inputNames) if (feeds[name]) used[name] = feeds[name]!;
    if (s.inputNames.includes("sample") && !feeds.sample && feeds[LANE_SAMPLE] && feeds[ROW_LANES]) used.sample = rowsOf(feeds[LANE_SAMPLE]!, feeds[ROW_LANES]!);
    const t0 = performance.now();
    try {
      return await s.run(used);
    } finally {
      this.ortMs += performance.now() - t0;
    }
  }

  async chain(first: NetworkName, firstFeeds: Feeds, second: NetworkName, secondFeeds: Feeds): Promise<Outputs> {
    if (first === "controlnet" && second === "unet" && this.options.fuseDenoiser !== false) {
      const fused = await (this.denoiser ??= this.openDenoiser());
      if (fused) {
        const before = fused.bind.transfer.toOrt + fused.bind.transfer.fromOrt + fused.denoiser.transfer.toOrt + fused.denoiser.transfer.fromOrt;
        const t0 = performance.now();
        try {
          return await fused.step(firstFeeds, secondFeeds);
        } finally {
          this.ortMs += performance.now() - t0;
          this.fusedBytes += fused.bind.transfer.toOrt + fused.bind.transfer.fromOrt + fused.denoiser.transfer.toOrt + fused.denoiser.transfer.fromOrt - before;
        }
      }
    }
    const mid = await this.run(first, firstFeeds);
    return this.run(second, { ...secondFeeds, ...mid });
  }

  /** Whether denoising steps run as one fused session, and whether it computes the control embedding once per generation. */
  async describeDenoiser(): Promise<{ fused: boolean; splitEmbedding: boolean; reason?: string }> {
    if (this.options.fuseDenoiser === false) return { fused: false, splitEmbedding: false, reason: "disabled" };
    const fused = await (this.denoiser ??= this.openDenoiser());
    return fused ? { fused: true, splitEmbedding: fused.split } : { fused: false, splitEmbedding: false, ...(this.denoiserFallback ? { reason: this.denoiserFallback } : {}) };
  }

  async release(): Promise<void> {
    const fused = await this.denoiser;
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
    await Promise.all([...this.reopened.values()].map(async (p) => (await p).release()));
    await fused?.release();
  }

  private session(network: NetworkName): Promise<ModelSession> {
    const s = this.sessions.get(network);
    if (s) return Promise.resolve(s);
    const old = this.released.get(network);
    if (!old) return Promise.reject(new Error(`no session for network "${network}" (loaded: ${[...this.sessions.keys()].join(", ")})`));
    let p = this.reopened.get(network);
    if (!p) {
      p = createSession(old.source.model, old.source.options);
      this.reopened.set(network, p);
    }
    return p;
  }

  private async openDenoiser(): Promise<FusedDenoiser | undefined> {
    const controlnet = this.sessions.get("controlnet") ?? this.released.get("controlnet");
    const unet = this.sessions.get("unet") ?? this.released.get("unet");
    if (!controlnet || !unet) {
      this.denoiserFallback = "IdentityNet or the UNet is not loaded";
      return undefined;
    }
    // The fused graph holds both networks' weights: open separate sessions are released first (reopened
    // on demand if anything asks for one alone), so the weights are not held twice.
    for (const name of DENOISER_PARTS) {
      const s = this.sessions.get(name);
      if (!s) continue;
      this.retiredBytes += s.transfer.toOrt + s.transfer.fromOrt;
      this.sessions.delete(name);
      this.released.set(name, s);
      await s.release();
    }
    try {
      // No memory pattern: ORT would otherwise plan one block for a step's activations and keep it in its
      // arena beside the chunks of the first (unplanned) step; without it the arena reuses its chunks
      // (on the mid pack at 512² it held ~190 MB instead of ~300 MB between steps, same speed, same outputs),
      // which leaves room for the VAE's decode peak that follows.
      return await FusedDenoiser.open(controlnet, unet, { memPattern: false });
    } catch (err) {
      this.denoiserFallback = (err as Error).message;
      return undefined;
    }
  }
}

/** The network rows from one latent per image: row r is image rowLanes[r]. */
function rowsOf(laneSample: Tensor, rowLanes: Tensor): Tensor {
  const lanes = laneSample.shape[0]!;
  const len = laneSample.data.length / lanes;
  const picks = Array.from(rowLanes.data as BigInt64Array, Number);
  const src = laneSample.data as Float32Array;
  const out = new Float32Array(len * picks.length);
  picks.forEach((k, r) => out.set(src.subarray(k * len, (k + 1) * len), r * len));
  return { dtype: "float32", shape: [picks.length, ...laneSample.shape.slice(1)], data: out };
}
