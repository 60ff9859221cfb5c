/**
 * The tiny model pack: InstantID's six networks at toy sizes with seeded random weights, built
 * through the same path as real weights (a diffusers-layout folder, then compilePack), so every
 * `npm start` and test exercises the production compiler. Random weights: images are noise.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSafetensors } from "../../shared/checkpoint/safetensors.ts";
import { numel, type Tensor } from "../../shared/tensor/tensor.ts";
import { seededNoise, type NoiseSource } from "../../shared/noise/seeded-noise.ts";
import { loadOpenAiVocabulary, writeHfVocabulary } from "../../shared/tokenizer/index.ts";
import { buildClipTextEncoder } from "../compiler/clip-text-encoder.ts";
import { buildControlNet } from "../compiler/controlnet.ts";
import { buildResampler } from "../compiler/resampler.ts";
import { buildUnet } from "../compiler/unet.ts";
import { buildVaeDecoder } from "../compiler/vae-decoder.ts";
import { Weights } from "../compiler/weights.ts";
import { compilePack } from "../pack/compile-pack.ts";
import type { PackManifest } from "../../shared/pack/pack-manifest.ts";
import { silentProgress, type Progress } from "../pack/progress.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const TINY_PACK_DIR = join(here, "..", "packs", "tiny");
export const TINY_SEED = 20240101;

const config = (name: string) => JSON.parse(readFileSync(join(here, `${name}.json`), "utf8")) as Record<string, unknown>;

/** The configs of a seeded pack: one per network, in diffusers' field names. */
export interface SeededPackConfigs {
  unet: Record<string, unknown>;
  controlnet: Record<string, unknown>;
  vae: Record<string, unknown>;
  text_encoder: Record<string, unknown>;
  text_encoder_2: Record<string, unknown>;
  /** InstantID's image_proj Resampler; output_dim must be the UNet's cross_attention_dim. */
  resampler: Record<string, unknown>;
  scheduler: Record<string, unknown>;
}

export function tinyConfigs(): SeededPackConfigs {
  const unet = config("unet");
  return {
    unet,
    controlnet: config("controlnet"),
    vae: config("vae"),
    text_encoder: config("text_encoder"),
    text_encoder_2: config("text_encoder_2"),
    resampler: { ...config("resampler"), output_dim: unet.cross_attention_dim },
    scheduler: config("scheduler"),
  };
}

/**
 * Writes a diffusers-layout checkpoint folder (what `compile` takes) for the given configs, with
 * seeded random weights for exactly the tensors the compiler asks for (found by a dry run).
 */
export function writeSeededCheckpoints(dir: string, c: SeededPackConfigs, seed: number): void {
  const noise = seededNoise(seed);
  const dry = { dryRun: true } as const;
  const write = (sub: string, file: string, cfg: Record<string, unknown>, keys: Map<string, readonly number[]>) => {
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, "config.json"), JSON.stringify(cfg, null, 1));
    writeSafetensors(join(dir, sub, file), randomTensors(keys, noise));
  };
  const keysOf = (build: (w: Weights) => void) => {
    const w = Weights.dryRun();
    build(w);
    return w.requested;
  };

  for (const name of ["text_encoder", "text_encoder_2"] as const) {
    write(name, "model.safetensors", c[name], keysOf((w) => buildClipTextEncoder(c[name], w, dry)));
  }
  write("vae", "diffusion_pytorch_model.safetensors", c.vae, keysOf((w) => buildVaeDecoder(c.vae, w, dry)));
  write("ControlNetModel", "diffusion_pytorch_model.safetensors", c.controlnet, keysOf((w) => buildControlNet(c.controlnet, w, dry)));

  const ip = Weights.dryRun();
  const unetKeys = keysOf((w) => buildUnet(c.unet, w, ip, { ...dry, numIpTokens: c.resampler.num_queries as number }));
  write("unet", "diffusion_pytorch_model.safetensors", c.unet, unetKeys);

  // InstantID's ip-adapter: image_proj (the Resampler) + ip_adapter (to_k_ip / to_v_ip per attn2)
  const proj = keysOf((w) => buildResampler(c.resampler, w, dry));
  const adapter: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(randomTensors(proj, noise))) adapter[`image_proj.${k}`] = t;
  for (const [k, t] of Object.entries(randomTensors(ip.requested, noise))) adapter[`ip_adapter.${k}`] = t;
  writeSafetensors(join(dir, "ip-adapter.safetensors"), adapter);
  writeFileSync(join(dir, "image_proj_config.json"), JSON.stringify(c.resampler, null, 1));

  mkdirSync(join(dir, "scheduler"), { recursive: true });
  writeFileSync(join(dir, "scheduler", "scheduler_config.json"), JSON.stringify(c.scheduler, null, 1));
  const vocab = loadOpenAiVocabulary(join(here, "clip", "bpe_simple_vocab_16e6.txt.gz"));
  for (const t of ["tokenizer", "tokenizer_2"]) {
    mkdirSync(join(dir, t), { recursive: true });
    writeHfVocabulary(vocab, join(dir, t));
  }
}

/** Writes the tiny diffusers-layout checkpoint folder. */
export function writeTinyCheckpoints(dir: string, seed = TINY_SEED): void {
  writeSeededCheckpoints(dir, tinyConfigs(), seed);
}

/**
 * Fan-in scaled normals, so every path of the network carries signal: matrices and kernels
 * N(0, 1/fan_in), norm scales 1 + N(0, 0.1), biases N(0, 0.05).
 */
function randomTensors(keys: Map<string, readonly number[]>, noise: NoiseSource): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [key, shape] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const n = numel(shape);
    const data = noise.randn(n);
    const isNormScale = shape.length === 1 && key.endsWith(".weight");
    const isBias = shape.length === 1 && key.endsWith(".bias");
    const fanIn = shape.length > 1 ? numel(shape.slice(1)) : 1;
    const std = isNormScale ? 0.1 : isBias ? 0.05 : 1 / Math.sqrt(key.endsWith("latents") ? shape[shape.length - 1]! : fanIn);
    for (let i = 0; i < n; i++) data[i] = data[i]! * std + (isNormScale ? 1 : 0);
    out[key] = { dtype: "float32", shape: [...shape], data };
  }
  return out;
}

export async function buildTinyPack(out = TINY_PACK_DIR, o: { progress?: Progress; seed?: number } = {}): Promise<PackManifest> {
  const progress = o.progress ?? silentProgress;
  const src = mkdtempSync(join(tmpdir(), "tiny-checkpoints-"));
  try {
    const step = progress.step("seeded tiny checkpoints");
    writeTinyCheckpoints(src, o.seed);
    step.done();
    return await compilePack(src, out, { name: "tiny", precision: "fp32", faceEmbeddings: ["*"], progress });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}
