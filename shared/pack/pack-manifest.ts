/**
 * pack.json: what a compiled model pack holds and how the runtime must drive it.
 * Written by compilePack, read (and checked) by the runtime and `npm run models -- verify`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const NETWORKS = ["text_encoder", "text_encoder_2", "resampler", "controlnet", "unet", "vae_decoder"] as const;
export type NetworkName = (typeof NETWORKS)[number];

const PackFile = z.object({
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PackFile = z.infer<typeof PackFile>;

export const PackManifest = z.object({
  format: z.literal(1),
  name: z.string().min(1),
  createdAt: z.string(),
  /** How weights are stored; "fp16" graphs keep float32 inputs/outputs. */
  precision: z.enum(["fp32", "fp16-weights", "fp16"]),
  /** Every file of the pack with its digest: networks, external data, tokenizer. */
  files: z.array(PackFile).min(1),
  networks: z.record(z.enum(NETWORKS), z.string()),
  tokenizer: z.object({ vocab: z.string(), merges: z.string() }),
  /** The diffusers scheduler config of the base model (SDXL's scheduler_config.json). */
  scheduler: z.record(z.string(), z.unknown()),
  model: z.object({
    latentChannels: z.number().int().positive(),
    /** Pixels per latent cell (8 for SDXL). */
    vaeScaleFactor: z.number().int().positive(),
    crossAttentionDim: z.number().int().positive(),
    textHiddenSizes: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    pooledDim: z.number().int().positive(),
    numIpTokens: z.number().int().positive(),
    embeddingDim: z.number().int().positive(),
    downResiduals: z.number().int().positive(),
    /** Linear latent -> RGB approximation for previews: 3 x latentChannels weights then 3 biases. */
    previewFactors: z.array(z.number()).optional(),
  }),
  /**
   * Face-embedding packs whose vectors the adapter was trained on; "*" accepts any
   * (the tiny pack has random weights, so no embedding is more right than another).
   */
  faceEmbeddings: z.array(z.string()).min(1),
  /** True when the UNet has an LCM-LoRA fused in, enabling the fast mode. */
  lcm: z.boolean(),
  /**
   * True when the UNet's and IdentityNet's attention is compiled as com.microsoft MultiHeadAttention
   * (compilePack's fusedAttention); absent or false: MatMul/Softmax/MatMul, which every provider runs.
   */
  fusedAttention: z.boolean().optional(),
});
export type PackManifest = z.infer<typeof PackManifest>;

export class PackError extends Error {
  override readonly name = "PackError";
  constructor(
    readonly code: "pack_missing" | "pack_invalid" | "file_missing" | "file_corrupt",
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

export const MANIFEST_FILE = "pack.json";

export function readPackManifest(dir: string): PackManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new PackError("pack_missing", `no model pack at ${dir} (missing ${MANIFEST_FILE}); build one with: npm run models -- build tiny`, path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PackError("pack_invalid", `${path} is not JSON: ${(err as Error).message}`, path);
  }
  const r = PackManifest.safeParse(raw);
  if (!r.success) throw new PackError("pack_invalid", `${path}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, path);
  return r.data;
}
