/**
 * A mid-size InstantID pack for benchmarks: the SDXL layout at about a fifth of its widths (UNet
 * 128/256/512, text 192 + 320, 512 px images), seeded random weights, compiled through the same
 * compilePack as real checkpoints. Built once into a cache folder; too large to commit.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePack } from "../../models/pack/compile-pack.ts";
import { stderrProgress } from "../../models/pack/progress.ts";
import { writeSeededCheckpoints, type SeededPackConfigs } from "../../models/tiny/build-tiny-pack.ts";

const root = join(import.meta.dirname, "..", "..");
const tinyConfig = (name: string) => JSON.parse(readFileSync(join(root, "models", "tiny", `${name}.json`), "utf8")) as Record<string, unknown>;

const TEXT = [192, 320] as const;
const POOLED = 256;
const TIME_EMBED = 64;
const CROSS = TEXT[0] + TEXT[1];

function configs(): SeededPackConfigs {
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
    scheduler: tinyConfig("scheduler"),
    unet: { ...tinyConfig("unet"), ...core, sample_size: 64 },
    controlnet: { ...tinyConfig("controlnet"), ...core, conditioning_embedding_out_channels: [16, 32, 96, 256] },
    vae: { ...tinyConfig("vae"), block_out_channels: [64, 128, 256, 256], sample_size: 512 },
    text_encoder: text("text_encoder", TEXT[0], null),
    text_encoder_2: text("text_encoder_2", TEXT[1], POOLED),
    resampler: { dim: 256, depth: 2, dim_head: 64, heads: 4, num_queries: 16, embedding_dim: 512, output_dim: CROSS, ff_mult: 4 },
  };
}

export const MID_PACK_DIR = join(tmpdir(), "instantid-bench-mid-pack");
/** The same weights with the UNet's and IdentityNet's attention as fused MultiHeadAttention (--pack mid-fused). */
export const MID_FUSED_PACK_DIR = join(tmpdir(), "instantid-bench-mid-pack-fused");

/** The mid pack's folder, built first if it is not there. */
export async function ensureMidPack(out = MID_PACK_DIR, o: { fusedAttention?: boolean } = {}): Promise<string> {
  if (existsSync(join(out, "pack.json"))) return out;
  const src = mkdtempSync(join(tmpdir(), "mid-checkpoints-"));
  try {
    writeSeededCheckpoints(src, configs(), 424242);
    const fused = o.fusedAttention === true;
    await compilePack(src, out, { name: fused ? "mid-fused" : "mid", precision: "fp32", faceEmbeddings: ["*"], fusedAttention: fused, progress: stderrProgress(6) });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  return out;
}
