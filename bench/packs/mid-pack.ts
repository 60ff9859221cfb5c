/**
 * A mid-size InstantID pack for benchmarks: the SDXL layout at about a fifth of its widths (UNet
 * 128/256/512, text 192 + 320, 512 px images), seeded random weights, compiled through the same
 * compilePack as real checkpoints. Built once into a cache folder; too large to commit.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../../shared/checkpoint/safetensors.ts";
import { numel, type Tensor } from "../../shared/tensor/tensor.ts";
import { seededNoise, type NoiseSource } from "../../gpu-runtime/schedulers/random.ts";
import { loadOpenAiVocabulary, writeHfVocabulary } from "../../gpu-runtime/tokenizer/index.ts";
import { buildClipTextEncoder } from "../../models/compiler/clip-text-encoder.ts";
import { buildControlNet } from "../../models/compiler/controlnet.ts";
import { buildResampler } from "../../models/compiler/resampler.ts";
import { buildUnet } from "../../models/compiler/unet.ts";
import { buildVaeDecoder } from "../../models/compiler/vae-decoder.ts";
import { Weights } from "../../models/compiler/weights.ts";
import { compilePack } from "../../models/pack/compile-pack.ts";
import { stderrProgress } from "../../models/pack/progress.ts";

const root = join(import.meta.dirname, "..", "..");
const tinyConfig = (name: string) => JSON.parse(readFileSync(join(root, "models", "tiny", `${name}.json`), "utf8")) as Record<string, unknown>;

const TEXT = [192, 320] as const;
const POOLED = 256;
const TIME_EMBED = 64;
const CROSS = TEXT[0] + TEXT[1];

function configs() {
  const core = {
    block_out_channels: [128, 256, 512],
    attention_head_dim: [2, 4, 8],
    transformer_layers_per_block: [1, 1, 2],
    cross_attention_dim: CROSS,
    addition_time_embed_dim: TIME_EMBED,
    projection_class_embeddings_input_dim: POOLED + 6 * TIME_EMBED,
  };
  const text = (name: string, hidden: number, projection: number | null) => ({
    ...tinyConfig(name),
    hidden_size: hidden,
    intermediate_size: 4 * hidden,
    num_hidden_layers: 4,
    num_attention_heads: hidden / 64,
    projection_dim: projection,
  });
  return {
    unet: { ...tinyConfig("unet"), ...core, sample_size: 64 },
    controlnet: { ...tinyConfig("controlnet"), ...core, conditioning_embedding_out_channels: [16, 32, 96, 256] },
    vae: { ...tinyConfig("vae"), block_out_channels: [64, 128, 256, 256], sample_size: 512 },
    text_encoder: text("text_encoder", TEXT[0], null),
    text_encoder_2: text("text_encoder_2", TEXT[1], POOLED),
    resampler: { dim: 256, depth: 2, dim_head: 64, heads: 4, num_queries: 16, embedding_dim: 512, output_dim: CROSS, ff_mult: 4 },
  };
}

/** Fan-in scaled normals so every path carries signal (norm scales near 1, small biases). */
function randomTensors(keys: Map<string, readonly number[]>, noise: NoiseSource): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [key, shape] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const data = noise.randn(numel(shape));
    const vector = shape.length === 1;
    const std = vector ? (key.endsWith(".weight") ? 0.1 : 0.05) : 1 / Math.sqrt(key.endsWith("latents") ? shape[shape.length - 1]! : numel(shape.slice(1)));
    const offset = vector && key.endsWith(".weight") ? 1 : 0;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * std + offset;
    out[key] = { dtype: "float32", shape: [...shape], data };
  }
  return out;
}

function writeCheckpoints(dir: string): void {
  const c = configs();
  const noise = seededNoise(424242);
  const dry = { dryRun: true } as const;
  const keysOf = (build: (w: Weights) => void) => {
    const w = Weights.dryRun();
    build(w);
    return w.requested;
  };
  const write = (sub: string, file: string, cfg: object, keys: Map<string, readonly number[]>) => {
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, "config.json"), JSON.stringify(cfg));
    writeSafetensors(join(dir, sub, file), randomTensors(keys, noise));
  };
  write("text_encoder", "model.safetensors", c.text_encoder, keysOf((w) => buildClipTextEncoder(c.text_encoder, w, dry)));
  write("text_encoder_2", "model.safetensors", c.text_encoder_2, keysOf((w) => buildClipTextEncoder(c.text_encoder_2, w, dry)));
  write("vae", "diffusion_pytorch_model.safetensors", c.vae, keysOf((w) => buildVaeDecoder(c.vae, w, dry)));
  write("ControlNetModel", "diffusion_pytorch_model.safetensors", c.controlnet, keysOf((w) => buildControlNet(c.controlnet, w, dry)));
  const ip = Weights.dryRun();
  write("unet", "diffusion_pytorch_model.safetensors", c.unet, keysOf((w) => buildUnet(c.unet, w, ip, { ...dry, numIpTokens: c.resampler.num_queries })));
  const adapter: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(randomTensors(keysOf((w) => buildResampler(c.resampler, w, dry)), noise))) adapter[`image_proj.${k}`] = t;
  for (const [k, t] of Object.entries(randomTensors(ip.requested, noise))) adapter[`ip_adapter.${k}`] = t;
  writeSafetensors(join(dir, "ip-adapter.safetensors"), adapter);
  writeFileSync(join(dir, "image_proj_config.json"), JSON.stringify(c.resampler));
  mkdirSync(join(dir, "scheduler"), { recursive: true });
  writeFileSync(join(dir, "scheduler", "scheduler_config.json"), JSON.stringify(tinyConfig("scheduler")));
  const vocab = loadOpenAiVocabulary(join(root, "models", "tiny", "clip", "bpe_simple_vocab_16e6.txt.gz"));
  writeHfVocabulary(vocab, join(dir, "tokenizer"));
}

export const MID_PACK_DIR = join(tmpdir(), "instantid-bench-mid-pack");

/** The mid pack's folder, built first if it is not there. */
export async function ensureMidPack(out = MID_PACK_DIR): Promise<string> {
  if (existsSync(join(out, "pack.json"))) return out;
  const src = mkdtempSync(join(tmpdir(), "mid-checkpoints-"));
  try {
    writeCheckpoints(src);
    await compilePack(src, out, { name: "mid", precision: "fp32", faceEmbeddings: ["*"], progress: stderrProgress(6) });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  return out;
}
