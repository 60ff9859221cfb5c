/**
 * Networks whose sessions live in a pool of inference worker threads (each holding the whole pack).
 * The HTTP loop only posts messages; tensors the pipeline reuses cross once per worker (tensor-refs.ts).
 */
import type { NetworkName } from "../../shared/pack/pack-manifest.ts";
import type { ExecutionProvider } from "../../shared/onnx/ort-session.ts";
import type { Tensor } from "../../shared/tensor/tensor.ts";
import { WorkerPool } from "../../shared/workers/worker-pool.ts";
import type { Feeds, Networks, Outputs } from "../pipeline/networks.ts";
import type { SessionReport } from "./load-pack-sessions.ts";
import type { SessionRequest, SessionResponse, SessionWorkerData } from "./session-protocol.ts";
import { TensorRefEncoder } from "./tensor-refs.ts";

export interface WorkerNetworksOptions {
  readonly packDir: string;
  readonly providers: readonly ExecutionProvider[];
  /** ORT intra-op threads per session in each worker (0: ORT's default). */
  readonly threads: number;
  /** Inference workers, each with its own sessions (one per GPU, or a few on a many-core CPU). */
  readonly workers: number;
  readonly refCacheBytes?: number;
  /** false: IdentityNet and the UNet as two sessions (for A/B benchmarks); default fused. */
  readonly fuseDenoiser?: boolean;
}

/** The worker module beside this one: TypeScript in the source tree, .mjs in a bundled build. */
const WORKER_SCRIPT = new URL(import.meta.url.endsWith(".ts") ? "./session-worker.ts" : "./session-worker.mjs", import.meta.url);

const DEFAULT_REF_CACHE_BYTES = 256 * 1024 * 1024;
/** A call whose resent data the worker still cannot hold (budget too small for one call) gives up. */
const MAX_RESENDS = 2;

export class WorkerNetworks implements Networks {
  /** Milliseconds spent inside ORT, summed over workers. */
  ortMs = 0;
  /** Bytes that crossed between JS and ORT inside the workers (not the messages to them), summed. */
  transferBytes = 0;
  private readonly pool: WorkerPool<SessionRequest, SessionResponse>;
  private readonly refs = new TensorRefEncoder();
  /** Calls not yet answered: terminating a worker while ORT runs in it aborts the whole process. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(pool: WorkerPool<SessionRequest, SessionResponse>) {
    this.pool = pool;
  }

  /** Starts the workers and waits until each has opened every session. */
  static async start(o: WorkerNetworksOptions): Promise<WorkerNetworks> {
    const workerData: SessionWorkerData = {
      packDir: o.packDir,
      providers: o.providers,
      threads: o.threads,
      refCacheBytes: o.refCacheBytes ?? DEFAULT_REF_CACHE_BYTES,
      fuseDenoiser: o.fuseDenoiser !== false,
    };
    const pool = new WorkerPool<SessionRequest, SessionResponse>({
      script: WORKER_SCRIPT,
      size: o.workers,
      workerData,
      name: "inference",
    });
    try {
      await pool.ready();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return new WorkerNetworks(pool);
  }

  /** Which provider each network runs on in one worker, and why earlier ones were skipped. */
  async describe(): Promise<SessionReport[]> {
    const res = await this.pool.run({ kind: "describe" });
    if (res.kind !== "description") throw new Error(`inference worker answered ${res.kind} to describe`);
    return res.sessions;
  }

  run(network: NetworkName, feeds: Feeds): Promise<Outputs> {
    return this.call((resend) => ({ kind: "run", network, feeds: this.refs.encode(feeds, resend) }));
  }

  chain(first: NetworkName, firstFeeds: Feeds, second: NetworkName, secondFeeds: Feeds): Promise<Outputs> {
    return this.call((resend) => ({
      kind: "chain",
      first,
      firstFeeds: this.refs.encode(firstFeeds, resend),
      second,
      secondFeeds: this.refs.encode(secondFeeds, resend),
    }));
  }

  /** Waits for calls in flight (each ends within one network run), then stops the workers. */
  async close(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    await this.pool.close();
  }

  private call(build: (resend: ReadonlySet<number>) => SessionRequest): Promise<Outputs> {
    const p = this.callWithResends(build);
    this.inFlight.add(p);
    void p.then(
      () => this.inFlight.delete(p),
      () => this.inFlight.delete(p),
    );
    return p;
  }

  private async callWithResends(build: (resend: ReadonlySet<number>) => SessionRequest): Promise<Outputs> {
    let resend = new Set<number>();
    for (let attempt = 0; ; attempt++) {
      const res = await this.pool.run(build(resend));
      if (res.kind === "outputs") {
        this.ortMs += res.ortMs;
        this.transferBytes += res.transferBytes;
        return res.outputs as Record<string, Tensor>;
      }
      if (res.kind !== "missing" || attempt >= MAX_RESENDS) throw new Error(`inference worker answered ${res.kind}${res.kind === "missing" ? ` after ${attempt} resends` : ""}`);
      resend = new Set(res.refs);
    }
  }
}
