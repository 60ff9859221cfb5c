/**
 * Where the pipeline's peak resident memory comes from: runs generations on a pack through the
 * production path (inference worker + ORT sessions) and samples the process's RSS (anonymous and
 * file-backed) every few milliseconds, tagged with the phase in progress: session loads, each network
 * call (text encoders, Resampler, the fused denoiser's steps, the VAE). Prints, per phase, the
 * highest RSS seen and whether the process's high-water mark (getrusage maxRSS) rose during it.
 * Network calls the pipeline makes concurrently (the prompt encoders and the Resampler of one request)
 * are counted under whichever started last; the inference worker runs them one at a time anyway.
 *
 *   npm run bench -- pipeline-memory [--pack tiny|mid|mid-fused|DIR] [--size 512] [--steps 8] [--generations 2] [--json]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeEmbedding, RuntimeGenerateRequestSchema } from "../shared/contract/index.ts";
import type { NetworkName } from "../shared/pack/pack-manifest.ts";
import { readPackManifest } from "../shared/pack/pack-manifest.ts";
import { InstantIdPipeline } from "../gpu-runtime/pipeline/instantid-pipeline.ts";
import type { Feeds, Networks, Outputs } from "../gpu-runtime/pipeline/networks.ts";
import { providers as parseProviders } from "../gpu-runtime/service/runtime-config.ts";
import { WorkerNetworks } from "../gpu-runtime/sessions/worker-networks.ts";
import { ClipTokenizer } from "../shared/tokenizer/index.ts";
import { benchPackDir } from "./packs/bench-pack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    pack: { type: "string", default: "tiny" },
    providers: { type: "string", default: "cpu" },
    steps: { type: "string", default: "8" },
    size: { type: "string" },
    generations: { type: "string", default: "2" },
    threads: { type: "string", default: "0" },
    "sample-ms": { type: "string", default: "5" },
    json: { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
  },
});
const say = (line: string) => (values.json ? process.stderr.write(`${line}\n`) : console.log(line));
const MB = 1024 * 1024;

/** VmRSS, RssAnon and RssFile of this process, in bytes (Linux). */
function rss(): { total: number; anon: number; file: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { total: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}
const maxRss = () => process.resourceUsage().maxRSS * 1024;

interface PhaseStats {
  name: string;
  samples: number;
  peak: number;
  peakAnon: number;
  peakFile: number;
  /** How much the process's high-water mark rose while this phase ran. */
  highWaterRise: number;
  ms: number;
}

const phases = new Map<string, PhaseStats>();
let current = "start";
let currentStarted = performance.now();
let currentHighWater = maxRss();

/** Each phase as it ended: its name, RSS when it began and ended, and the highest RSS sampled in it. */
const trace: { name: string; from: number; to: number; peak: number }[] = [];
let currentFrom = 0;
let currentPeak = 0;

function enter(name: string): void {
  close();
  if (current !== "start") trace.push({ name: current, from: currentFrom, to: rss().total, peak: currentPeak });
  currentFrom = rss().total;
  currentPeak = currentFrom;
  current = name;
  currentStarted = performance.now();
  currentHighWater = maxRss();
}
function close(): void {
  const s = stats(current);
  s.ms += performance.now() - currentStarted;
  s.highWaterRise += Math.max(0, maxRss() - currentHighWater);
  sample();
}
function stats(name: string): PhaseStats {
  let s = phases.get(name);
  if (!s) phases.set(name, (s = { name, samples: 0, peak: 0, peakAnon: 0, peakFile: 0, highWaterRise: 0, ms: 0 }));
  return s;
}
function sample(): void {
  const r = rss();
  const s = stats(current);
  s.samples++;
  currentPeak = Math.max(currentPeak, r.total);
  if (r.total > s.peak) Object.assign(s, { peak: r.total, peakAnon: r.anon, peakFile: r.file });
}

/** The networks, with the phase set to the network each call runs. */
function tagged(inner: Networks): Networks {
  return {
    async run(network: NetworkName, feeds: Feeds): Promise<Outputs> {
      enter(network);
      try {
        return await inner.run(network, feeds);
      } finally {
        enter("pipeline");
      }
    },
    async chain(first: NetworkName, a: Feeds, second: NetworkName, b: Feeds): Promise<Outputs> {
      enter(`${first}+${second}`);
      try {
        return await inner.chain(first, a, second, b);
      } finally {
        enter("pipeline");
      }
    },
  };
}

async function main(): Promise<void> {
  const dir = await benchPackDir(values.pack!);
  const manifest = readPackManifest(dir);
  const side = Number(values.size ?? (manifest.name === "tiny" ? 64 : 512));
  const steps = Number(values.steps);
  const timer = setInterval(sample, Number(values["sample-ms"]));
  enter("load sessions");
  const networks = await WorkerNetworks.start({ packDir: dir, providers: parseProviders(values.providers!), threads: Number(values.threads), workers: 1 });
  enter("pipeline");
  const stepMs: number[] = [];
  try {
    const pipeline = new InstantIdPipeline(tagged(networks), ClipTokenizer.fromHfDirectory(join(dir, "tokenizer")), manifest, {
      onBatchStep: (s) => stepMs.push(s * 1000),
    });
    const generations = Number(values.generations);
    for (let g = 0; g < generations; g++) {
      const s = side / 64;
      const request = RuntimeGenerateRequestSchema.parse({
        embedding: encodeEmbedding(new Float32Array(512).map((_, i) => Math.sin(i * 0.37 + g) * 3)),
        embeddingPack: "antelopev2",
        kps: [[20 * s, 24 * s], [44 * s, 24 * s], [32 * s, 36 * s], [22 * s, 50 * s], [42 * s, 50 * s]],
        prompt: `a portrait of a person, studio light, take ${g}`,
        width: side,
        height: side,
        steps,
        guidanceScale: 5,
        identityStrength: 0.8,
        adapterStrength: 0.8,
        seed: 100 + g,
        scheduler: "euler",
        numImages: 1,
        outputFormat: "png",
      });
      const [outcome] = await pipeline.generate([{ request, cancelled: () => false, events: { progress() {}, preview() {}, image() {} } }]);
      if (outcome?.status !== "done") throw new Error(`generation ${g} ended ${outcome?.status}`);
      say(`generation ${g + 1}: done, RSS now ${(rss().total / MB).toFixed(0)} MB, high-water ${(maxRss() / MB).toFixed(0)} MB`);
    }
  } finally {
    enter("close");
    await networks.close();
    clearInterval(timer);
    close();
  }
  if (values.trace) {
    for (const t of trace) say(`  ${t.name.padEnd(22)} ${(t.from / MB).toFixed(0).padStart(5)} -> ${(t.to / MB).toFixed(0).padStart(5)} MB, peak ${(t.peak / MB).toFixed(0)} MB`);
  }
  const rows = [...phases.values()].filter((p) => p.name !== "start");
  for (const p of rows) {
    say(
      `${p.name.padEnd(22)} ${p.ms.toFixed(0).padStart(7)} ms  peak RSS ${(p.peak / MB).toFixed(0).padStart(5)} MB (anon ${(p.peakAnon / MB).toFixed(0)}, file ${(p.peakFile / MB).toFixed(0)})  high-water +${(p.highWaterRise / MB).toFixed(0)} MB`,
    );
  }
  const warmSteps = stepMs.slice(1);
  const meanStep = warmSteps.reduce((a, b) => a + b, 0) / Math.max(1, warmSteps.length);
  say(`mean denoising step ${meanStep.toFixed(1)} ms; peak RSS of the process ${(maxRss() / MB).toFixed(0)} MB`);
  if (values.json) {
    console.log(JSON.stringify({ pack: manifest.name, side, steps, stepMs: meanStep, peakRssBytes: maxRss(), phases: rows }));
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
