/**
 * InstantID at the size it serves: SDXL + IdentityNet with seeded random weights (the real layout and
 * parameter count, no download), compiled by the same compilePack, loaded on the chosen provider, timed
 * for a size, step count and batch sizes with CFG. Prints per batch: seconds per image, ms per denoising
 * step (IdentityNet + UNet, fused) and per call of the other networks, bytes crossing JS<->ORT per step,
 * peak memory; then the face networks (lite pack) one photo at a time and four at once.
 *
 *   npm run bench -- real-size [--size 1024] [--steps 30] [--batch 1,4] [--guidance 5]
 *        [--providers webgpu,cpu] [--precision fp16|fp16-weights|fp32] [--layout sdxl|mid]
 *        [--static] [--chain] [--threads 0] [--dir PATH] [--no-faces]
 *
 * --layout mid runs the bench's mid-size pack instead (to prove the script on a small machine);
 * --static fixes the graphs' free dimensions to the size (sessions specialised to one resolution);
 * --chain runs IdentityNet and the UNet as two sessions, to time each network on its own.
 * The pack is built once into --dir (default: a folder per layout and precision under the temp dir):
 * the sdxl layout needs about 25 GB of disk and, while compiling, ~12 GB of memory.
 * Peak device memory: ORT's Node API reports none; on cuda, read nvidia-smi beside the run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { encodeEmbedding, RuntimeGenerateRequestSchema, type RuntimeGenerateRequest } from "../shared/contract/index.ts";
import { readPackManifest, type NetworkName } from "../shared/pack/pack-manifest.ts";
import { compilePack, type Precision } from "../models/pack/compile-pack.ts";
import { stderrProgress } from "../models/pack/progress.ts";
import { writeSeededCheckpoints, type SeededPackConfigs } from "../models/tiny/build-tiny-pack.ts";
import type { GenerationTask } from "../gpu-runtime/pipeline/generation-task.ts";
import { InstantIdPipeline } from "../gpu-runtime/pipeline/instantid-pipeline.ts";
import type { Feeds, Networks, Outputs } from "../gpu-runtime/pipeline/networks.ts";
import { providers as parseProviders } from "../gpu-runtime/service/runtime-config.ts";
import { SessionNetworks } from "../gpu-runtime/sessions/session-networks.ts";
import { ClipTokenizer } from "../shared/tokenizer/index.ts";
import { ensureMidPack } from "./packs/mid-pack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    size: { type: "string", default: "1024" },
    steps: { type: "string", default: "30" },
    batch: { type: "string", default: "1,4" },
    guidance: { type: "string", default: "5" },
    providers: { type: "string", default: "cpu" },
    precision: { type: "string" },
    layout: { type: "string", default: "sdxl" },
    static: { type: "boolean", default: false },
    chain: { type: "boolean", default: false },
    threads: { type: "string", default: "0" },
    dir: { type: "string" },
    "no-faces": { type: "boolean", default: false },
  },
});

const size = Number(values.size);
const steps = Number(values.steps);
const batches = values.batch!.split(",").map(Number);
const providerList = parseProviders(values.providers!);
// fp16 compute where a GPU provider runs it; cpu kernels are fp32, so there the weights are stored fp16 and widened at load
const precision = (values.precision ?? (providerList[0] === "cpu" ? "fp16-weights" : "fp16")) as Precision;
if (!Number.isInteger(size) || size % 64 !== 0) throw new Error(`--size must be a multiple of 64, got ${values.size}`);
if (!batches.every((b) => Number.isInteger(b) && b > 0)) throw new Error(`--batch must list positive integers, got ${values.batch}`);

const root = join(import.meta.dirname, "..");
const fixture = (name: string) => JSON.parse(readFileSync(join(root, "test", "fixtures", "sdxl", `${name}.json`), "utf8")) as Record<string, unknown>;
const tiny = (name: string) => JSON.parse(readFileSync(join(root, "models", "tiny", `${name}.json`), "utf8")) as Record<string, unknown>;

/** SDXL base's UNet and text encoders, InstantID's IdentityNet (the UNet's core) and Resampler, SDXL's VAE. */
function sdxlConfigs(): SeededPackConfigs {
  const unet = fixture("unet");
  const core = Object.fromEntries(
    [
      "in_channels", "flip_sin_to_cos", "freq_shift", "down_block_types", "mid_block_type", "only_cross_attention", "block_out_channels",
      "layers_per_block", "downsample_padding", "mid_block_scale_factor", "act_fn", "norm_num_groups", "norm_eps", "cross_attention_dim",
      "transformer_layers_per_block", "attention_head_dim", "num_attention_heads", "use_linear_projection", "addition_embed_type",
      "addition_time_embed_dim", "projection_class_embeddings_input_dim", "upcast_attention", "resnet_time_scale_shift",
    ].filter((k) => k in unet).map((k) => [k, unet[k]]),
  );
  return {
    unet,
    controlnet: { ...tiny("controlnet"), ...core, conditioning_embedding_out_channels: [16, 32, 96, 256], _class_name: "ControlNetModel" },
    vae: { ...tiny("vae"), block_out_channels: [128, 256, 512, 512], sample_size: 1024 },
    text_encoder: fixture("text_encoder"),
    text_encoder_2: fixture("text_encoder_2"),
    resampler: { dim: 1280, depth: 4, dim_head: 64, heads: 20, num_queries: 16, embedding_dim: 512, output_dim: unet.cross_attention_dim, ff_mult: 4 },
    scheduler: tiny("scheduler"),
  };
}

async function packDir(): Promise<string> {
  if (values.layout === "mid") return values.dir ?? ensureMidPack();
  if (values.layout !== "sdxl") throw new Error(`--layout must be sdxl or mid, got ${values.layout}`);
  const out = values.dir ?? join(tmpdir(), `instantid-real-size-${precision}`);
  if (existsSync(join(out, "pack.json"))) return out;
  const src = mkdtempSync(join(tmpdir(), "real-size-checkpoints-"));
  try {
    process.stderr.write(`building a real-size pack (${precision}) in ${out}: seeded checkpoints, then compiling; this takes a while\n`);
    writeSeededCheckpoints(src, sdxlConfigs(), 20241024);
    await compilePack(src, out, { name: "sdxl-seeded", precision, faceEmbeddings: ["*"], progress: stderrProgress(6) });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  return out;
}

/** Networks that time each call: the denoising step (chain) and every network run on its own. */
class TimedNetworks implements Networks {
  readonly ms = new Map<string, number[]>();
  constructor(readonly inner: SessionNetworks) {}
  private async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const list = this.ms.get(name) ?? [];
      list.push(performance.now() - t0);
      this.ms.set(name, list);
    }
  }
  run(network: NetworkName, feeds: Feeds): Promise<Outputs> {
    return this.time(network, () => this.inner.run(network, feeds));
  }
  chain(first: NetworkName, firstFeeds: Feeds, second: NetworkName, secondFeeds: Feeds): Promise<Outputs> {
    return this.time(values.chain ? `${first}+${second} (two sessions)` : "denoiser (IdentityNet+UNet fused)", () => this.inner.chain(first, firstFeeds, second, secondFeeds));
  }
}

function request(seed: number, images: number): RuntimeGenerateRequest {
  const s = size / 64;
  return RuntimeGenerateRequestSchema.parse({
    embedding: encodeEmbedding(new Float32Array(512).map((_, i) => Math.sin(i * 0.37) * 3)),
    embeddingPack: "antelopev2",
    kps: [[20 * s, 24 * s], [44 * s, 24 * s], [32 * s, 36 * s], [22 * s, 50 * s], [42 * s, 50 * s]],
    prompt: "a portrait of a person, studio light",
    width: size,
    height: size,
    steps,
    guidanceScale: Number(values.guidance),
    identityStrength: 0.8,
    adapterStrength: 0.8,
    seed,
    scheduler: "euler",
    numImages: images,
    outputFormat: "png",
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const dir = await packDir();
  const manifest = readPackManifest(dir);
  const f = manifest.model.vaeScaleFactor;
  const latent = size / f;
  // one resolution per session: every symbolic spatial dim the compiler emits, at this size
  const overrides: Record<string, number> = { height: latent, width: latent, image_height: size, image_width: size };
  for (let level = 1, h = latent; level <= 3; level++) {
    h = Math.ceil(h / 2);
    overrides[`height_${level}`] = h;
    overrides[`width_${level}`] = h;
  }
  const cfg = { providers: providerList, threads: Number(values.threads), ...(values.static ? { freeDimensionOverrides: overrides } : {}) };
  const inner = await SessionNetworks.load(dir, manifest, cfg, { fuseDenoiser: !values.chain });
  const networks = new TimedNetworks(inner);
  const loadedRss = process.resourceUsage().maxRSS;
  try {
    const placed = (await inner.report()).map((s) => `${s.network}=${s.provider}`).join(" ");
    console.log(`pack ${manifest.name} (${manifest.precision}) at ${size}x${size}, ${steps} steps, guidance ${values.guidance}; ${placed}${values.static ? "; static shapes" : ""}`);
    const denoiser = await inner.describeDenoiser();
    console.log(`denoiser: ${denoiser.fused ? `fused${denoiser.splitEmbedding ? ", control embedding once per generation" : ""}` : `two sessions (${denoiser.reason ?? "chain"})`}`);
    const tokenizer = ClipTokenizer.fromHfDirectory(join(dir, "tokenizer"));
    const stepBytes: number[] = [];
    let mark = 0;
    let stepOfGeneration = 0;
    const pipeline = new InstantIdPipeline(networks, tokenizer, manifest, {
      onBatchStep: () => {
        const bytes = inner.transferBytes - mark;
        mark = inner.transferBytes;
        if (stepOfGeneration++ > 0) stepBytes.push(bytes);
      },
    });
    const task = (r: RuntimeGenerateRequest): GenerationTask => ({ request: r, cancelled: () => false, events: { progress() {}, preview() {}, image() {} } });
    const generate = async (r: RuntimeGenerateRequest) => {
      mark = inner.transferBytes;
      stepOfGeneration = 0;
      const t0 = performance.now();
      const [outcome] = await pipeline.generate([task(r)]);
      if (outcome?.status !== "done") throw new Error(`generation ended ${outcome?.status}${outcome?.status === "failed" ? `: ${outcome.error.message}` : ""}`);
      return (performance.now() - t0) / 1000;
    };

    await generate({ ...request(1, 1), steps: Math.min(2, steps) }); // warm-up: first runs, caches
    for (const batch of batches) {
      networks.ms.clear();
      stepBytes.length = 0;
      const seconds = await generate(request(100 + batch, batch));
      const perNetwork = Object.fromEntries([...networks.ms].map(([k, v]) => [k, { calls: v.length, medianMs: +median(v).toFixed(1) }]));
      const line = {
        layout: values.layout,
        precision: manifest.precision,
        provider: providerList[0],
        size,
        steps,
        batch,
        secondsPerImage: +(seconds / batch).toFixed(3),
        perNetwork,
        transferBytesPerStep: Math.max(...stepBytes),
        latentBytes: manifest.model.latentChannels * latent * latent * 4,
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        rssAfterLoadMB: Math.round(loadedRss / 1024),
      };
      console.log(`batch ${batch}: ${line.secondsPerImage} s/image; ${Object.entries(perNetwork).map(([k, v]) => `${k} ${v.medianMs} ms x${v.calls}`).join(", ")}; ${line.transferBytesPerStep} B/step JS<->ORT; peak RSS ${line.peakRssMB} MB`);
      console.log(JSON.stringify(line));
    }
  } finally {
    await inner.release();
  }
  if (!values["no-faces"]) await faces();
}

/** The lite face pack on the same provider: one photo, then four at once. */
async function faces(): Promise<void> {
  try {
    const { fetchLitePack } = await import("../models/face-pack/fetch-lite-pack.ts");
    const { createFaceAnalyser } = await import("../shared/face/onnx-face-analyser.ts");
    const { decodeImage } = await import("../shared/image/image-intake.ts");
    const { dir } = await fetchLitePack();
    const photo = await decodeImage(await sharp(join(root, "examples", "astronaut.png")).toBuffer());
    const analyser = await createFaceAnalyser({ pack: "lite", dir, providers: providerList }, { workers: 1 });
    try {
      await analyser.analyse(photo);
      for (const n of [1, 4]) {
        const t0 = performance.now();
        await Promise.all(Array.from({ length: n }, () => analyser.analyse(photo)));
        const ms = (performance.now() - t0) / n;
        console.log(JSON.stringify({ faces: "lite", provider: providerList[0], concurrent: n, msPerPhoto: +ms.toFixed(1) }));
      }
    } finally {
      await analyser.close();
    }
  } catch (err) {
    console.log(`face networks not timed: ${(err as Error).message.split("\n")[0]}`);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
