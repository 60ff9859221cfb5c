/**
 * Wires the runtime together: the pack's manifest and tokenizer, inference workers with the ORT
 * sessions, the pipeline, the queue, metrics and the HTTP app. Closing stops it in order.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Hono } from "hono";
import { readPackManifest, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { InstantIdPipeline } from "../pipeline/instantid-pipeline.ts";
import { GenerationQueue } from "../queue/generation-queue.ts";
import type { SessionReport } from "../sessions/load-pack-sessions.ts";
import { WorkerNetworks } from "../sessions/worker-networks.ts";
import { ClipTokenizer } from "../../shared/tokenizer/index.ts";
import { createRuntimeApp } from "./app.ts";
import { RuntimeFaceService } from "./face-service.ts";
import { pipelineBatchRunner, type GenerationJobPayload } from "./generation-job.ts";
import { facesConfigFromEnv, type RuntimeConfig } from "./runtime-config.ts";
import { createRuntimeMetrics, type RuntimeMetrics } from "./runtime-metrics.ts";

export interface Runtime {
  readonly app: Hono;
  readonly manifest: PackManifest;
  readonly pipeline: InstantIdPipeline;
  readonly networks: WorkerNetworks;
  readonly queue: GenerationQueue<GenerationJobPayload>;
  readonly metrics: RuntimeMetrics;
  /** POST /v1/faces/analyze's analyser (its workers start on the first request). */
  readonly faces: RuntimeFaceService;
  readonly sessions: readonly SessionReport[];
  /** Refuses new work, lets running requests finish for `graceMs`, fails the rest, stops the workers. */
  close(graceMs?: number): Promise<void>;
}

type RuntimeSettings = Omit<RuntimeConfig, "host" | "port">;

export async function startRuntime(cfg: RuntimeSettings, log: (line: string) => void = () => {}): Promise<Runtime> {
  const manifest = readPackManifest(cfg.packDir);
  const tokenizer = loadPackTokenizer(cfg.packDir, manifest);
  const networks = await WorkerNetworks.start({ packDir: cfg.packDir, providers: cfg.providers, threads: cfg.threads, workers: cfg.workers });
  let sessions: SessionReport[];
  try {
    sessions = await networks.describe();
  } catch (err) {
    await networks.close();
    throw err;
  }
  for (const s of sessions) {
    for (const f of s.fallbacks) log(`${s.network}: execution provider ${f.provider} could not start (${f.reason.trim().split("\n")[0]}); falling back`);
  }
  log(`pack "${manifest.name}" (${manifest.precision}) loaded from ${cfg.packDir}: ${sessions.map((s) => `${s.network}=${s.provider}`).join(" ")}`);

  let metrics: RuntimeMetrics | undefined;
  const pipeline = new InstantIdPipeline(networks, tokenizer, manifest, {
    promptCacheSize: cfg.promptCacheSize,
    faceCacheSize: cfg.faceCacheSize,
    onBatchStep: (seconds, lanes) => {
      metrics?.stepSeconds.observe(seconds);
      metrics?.batchLanes.observe(lanes);
    },
  });
  const queue = new GenerationQueue<GenerationJobPayload>({
    capacity: cfg.queueCapacity,
    maxBatchLanes: cfg.maxBatchLanes,
    concurrency: cfg.workers,
    gatherMs: cfg.batchWindowMs,
    run: pipelineBatchRunner(pipeline),
  });
  metrics = createRuntimeMetrics(() => queue.stats);
  let shuttingDown = false;
  const providers = Object.fromEntries(sessions.map((s) => [s.network, s.provider]));
  const faces = new RuntimeFaceService(cfg.faces ?? facesConfigFromEnv({}));
  const app = createRuntimeApp({
    token: cfg.token,
    queue,
    pack: manifest,
    batchKey: (r) => pipeline.batchKey(r),
    metrics,
    health: () => ({ status: shuttingDown ? "shutting_down" : "ok", pack: manifest.name, providers, queue: queue.stats }),
    faces,
    log,
  });
  return {
    app,
    manifest,
    pipeline,
    networks,
    queue,
    metrics,
    faces,
    sessions,
    async close(graceMs = cfg.shutdownGraceMs) {
      if (shuttingDown) return;
      shuttingDown = true;
      await queue.close(graceMs);
      await faces.close();
      await networks.close();
    },
  };
}

/** Both SDXL tokenizers share CLIP's vocabulary: the pack ships it once. */
function loadPackTokenizer(packDir: string, manifest: PackManifest): ClipTokenizer {
  const dir = dirname(join(packDir, manifest.tokenizer.vocab));
  if (dirname(join(packDir, manifest.tokenizer.merges)) !== dir || !existsSync(join(dir, "vocab.json")) || !existsSync(join(dir, "merges.txt"))) {
    throw new Error(`the pack's tokenizer must be vocab.json and merges.txt in one folder (pack.json says ${manifest.tokenizer.vocab}, ${manifest.tokenizer.merges})`);
  }
  return ClipTokenizer.fromHfDirectory(dir);
}
