/**
 * Pipeline benchmark on a pack, through the production path (inference worker + ORT sessions):
 *  - the pipeline's own overhead (everything that is not inside ORT: tokenisation, caches, tensor
 *    assembly, worker messages, scheduler maths, CFG, PNG encoding) as a share of the time inside ORT
 *    (goal: under 5%);
 *  - images/s for N concurrent requests batched into shared network calls vs run one by one;
 *  - the mean time of one denoising step, and the bytes that crossed between JS and ORT in one
 *    (after a generation's first step, which binds its constants) beside one image's latent tensor;
 *  - the process's peak resident memory (the inference worker is a thread of it).
 *
 *   npm run bench -- pipeline [--pack tiny|mid|mid-fused|DIR] [--providers webgpu,cpu] [--steps 20] [--size 64]
 *                             [--concurrent 4] [--threads 0] [--repeat 3] [--json] [--chain]
 * --json prints only the one JSON line; --chain runs IdentityNet and the UNet as two sessions (the
 * layout before the fused denoiser), for A/B figures.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeEmbedding, RuntimeGenerateRequestSchema, type RuntimeGenerateRequest } from "../shared/contract/index.ts";
import { readPackManifest } from "../shared/pack/pack-manifest.ts";
import type { GenerationTask } from "../gpu-runtime/pipeline/generation-task.ts";
import { InstantIdPipeline } from "../gpu-runtime/pipeline/instantid-pipeline.ts";
import { providers as parseProviders } from "../gpu-runtime/service/runtime-config.ts";
import { WorkerNetworks } from "../gpu-runtime/sessions/worker-networks.ts";
import { ClipTokenizer } from "../shared/tokenizer/index.ts";
import { benchPackDir } from "./packs/bench-pack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    pack: { type: "string", default: "tiny" },
    providers: { type: "string", default: "cpu" },
    steps: { type: "string", default: "20" },
    size: { type: "string" },
    concurrent: { type: "string", default: "4" },
    threads: { type: "string", default: "0" },
    repeat: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    chain: { type: "boolean", default: false },
  },
});

/** Human-readable lines go to stderr with --json, so stdout is the JSON line alone. */
const say = (line: string) => (values.json ? process.stderr.write(`${line}\n`) : console.log(line));

const steps = Number(values.steps);
const concurrent = Number(values.concurrent);
const repeat = Number(values.repeat);

function request(seed: number, side: number): RuntimeGenerateRequest {
  const embedding = new Float32Array(512).map((_, i) => Math.sin(i * 0.37) * 3);
  const s = side / 64;
  return RuntimeGenerateRequestSchema.parse({
    embedding: encodeEmbedding(embedding),
    embeddingPack: "antelopev2",
    kps: [[20 * s, 24 * s], [44 * s, 24 * s], [32 * s, 36 * s], [22 * s, 50 * s], [42 * s, 50 * s]],
    prompt: "a portrait of a person, studio light",
    width: side,
    height: side,
    steps,
    guidanceScale: 5,
    identityStrength: 0.8,
    adapterStrength: 0.8,
    seed,
    scheduler: "euler",
    numImages: 1,
    outputFormat: "png",
  });
}

function task(r: RuntimeGenerateRequest): GenerationTask {
  return { request: r, cancelled: () => false, events: { progress() {}, preview() {}, image() {} } };
}

async function main(): Promise<void> {
  const dir = await benchPackDir(values.pack!);
  const manifest = readPackManifest(dir);
  const side = Number(values.size ?? (manifest.name === "tiny" ? 64 : 512));
  const networks = await WorkerNetworks.start({ packDir: dir, providers: parseProviders(values.providers!), threads: Number(values.threads), workers: 1, fuseDenoiser: !values.chain });
  try {
    const sessions = await networks.describe();
    say(`pack ${manifest.name} at ${side}x${side}, ${steps} steps; providers: ${sessions.map((s) => `${s.network}=${s.provider}`).join(" ")}`);
    for (const s of sessions) for (const f of s.fallbacks) say(`  ${s.network}: ${f.provider} unavailable: ${f.reason.split("\n")[0]}`);
    const stepTimes: number[] = [];
    // bytes per step, from the second step of each generation on (the first binds the generation's constants)
    const stepBytes: number[] = [];
    let firstStepBytes = 0;
    let bytesMark = 0;
    let stepOfGeneration = 0;
    const pipeline = new InstantIdPipeline(networks, ClipTokenizer.fromHfDirectory(join(dir, "tokenizer")), manifest, {
      onBatchStep: (s, lanes) => {
        const bytes = networks.transferBytes - bytesMark;
        bytesMark = networks.transferBytes;
        if (lanes !== 1) return;
        stepTimes.push(s);
        if (stepOfGeneration++ === 0) firstStepBytes = Math.max(firstStepBytes, bytes);
        else stepBytes.push(bytes);
      },
    });
    const run = async (tasks: GenerationTask[]) => {
      const ort0 = networks.ortMs;
      bytesMark = networks.transferBytes;
      stepOfGeneration = 0;
      const t0 = performance.now();
      const outcomes = await pipeline.generate(tasks);
      const wall = performance.now() - t0;
      for (const o of outcomes) if (o.status !== "done") throw new Error(`a bench request ended ${o.status}${o.status === "failed" ? `: ${o.error.message}` : ""}`);
      return { wall, ort: networks.ortMs - ort0 };
    };

    await run([task(request(1, side))]); // warm-up: first runs, caches filled
    stepTimes.length = 0;
    let wall = 0;
    let ort = 0;
    for (let i = 0; i < repeat; i++) {
      const r = await run([task(request(100 + i, side))]);
      wall += r.wall;
      ort += r.ort;
    }
    const overhead = (wall - ort) / ort;
    const meanStep = stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length;
    const latentBytes = manifest.model.latentChannels * (side / manifest.model.vaeScaleFactor) ** 2 * 4;
    const transferBytesPerStep = Math.max(...stepBytes);
    say(`one request: ${(wall / repeat).toFixed(1)} ms, ${(ort / repeat).toFixed(1)} ms inside ORT; overhead ${(overhead * 100).toFixed(2)}% of ORT time (goal < 5%)`);
    say(`denoising step (CFG batch of 2): ${(meanStep * 1000).toFixed(2)} ms`);
    say(`JS<->ORT per step: ${transferBytesPerStep} bytes (${(transferBytesPerStep / latentBytes).toFixed(2)} latents of ${latentBytes} bytes); first step of a generation: ${firstStepBytes} bytes`);

    const seeds = Array.from({ length: concurrent }, (_, i) => 200 + i);
    let t0 = performance.now();
    for (const seed of seeds) await run([task(request(seed, side))]);
    const oneByOne = concurrent / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await run(seeds.map((seed) => task(request(seed, side))));
    const batched = concurrent / ((performance.now() - t0) / 1000);
    say(`${concurrent} concurrent requests: ${batched.toFixed(2)} images/s batched vs ${oneByOne.toFixed(2)} images/s one by one (x${(batched / oneByOne).toFixed(2)})`);
    console.log(
      JSON.stringify({
        pack: manifest.name,
        side,
        steps,
        providers: Object.fromEntries(sessions.map((s) => [s.network, s.provider])),
        overheadShare: overhead,
        stepMs: meanStep * 1000,
        transferBytesPerStep,
        latentBytes,
        firstStepBytes,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        imagesPerSecond: { batched, oneByOne },
      }),
    );
    say(`peak RSS of the process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await networks.close();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
