/**
 * Compiles a diffusers-layout folder (what the Hugging Face repos hold: SDXL base plus InstantID's
 * ControlNetModel and ip-adapter) into a model pack: one ONNX graph per network, the tokenizer
 * files and pack.json.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { openCheckpoint } from "../../shared/checkpoint/open-checkpoint.ts";
import type { TensorSource } from "../../shared/checkpoint/tensor-source.ts";
import { CompileError } from "../compiler/compile-error.ts";
import type { GraphBuilder, GraphOptions } from "../compiler/graph/graph-builder.ts";
import { buildClipTextEncoder } from "../compiler/clip-text-encoder.ts";
import { buildControlNet } from "../compiler/controlnet.ts";
import { buildResampler } from "../compiler/resampler.ts";
import { buildUnet } from "../compiler/unet.ts";
import { assertVaeDecoderWeightsUsed, buildVaeDecoder } from "../compiler/vae-decoder.ts";
import { Weights } from "../compiler/weights.ts";
import { MANIFEST_FILE, type NetworkName, type PackFile, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { silentProgress, type Progress } from "./progress.ts";
import { sha256File } from "./sha256-file.ts";

export type Precision = PackManifest["precision"];

export interface CompilePackOptions {
  name: string;
  precision?: Precision;
  /** Face-embedding packs the adapter accepts ("*" for any). */
  faceEmbeddings?: string[];
  lcm?: boolean;
  /**
   * Attention of the UNet and IdentityNet as com.microsoft MultiHeadAttention nodes (ORT's fused kernel on
   * cpu, cuda and webgpu) instead of MatMul/Softmax/MatMul; recorded in pack.json. Default false.
   */
  fusedAttention?: boolean;
  progress?: Progress;
}

const FP16_NETWORKS = new Set<NetworkName>(["unet", "controlnet"]);
/** The networks whose attention fusedAttention compiles as MultiHeadAttention (the step's cost, nearly all of it). */
const FUSED_ATTENTION_NETWORKS = new Set<NetworkName>(["unet", "controlnet"]);

/** InstantID's image_proj Resampler as its pipeline constructs it (not stored in any config file). */
const INSTANTID_RESAMPLER = { dim: 1280, depth: 4, dim_head: 64, heads: 20, num_queries: 16, embedding_dim: 512, ff_mult: 4 };

/** Where each part sits in a diffusers-layout source folder; first existing candidate wins. */
const WEIGHT_FILES = ["diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.safetensors", "model.fp16.safetensors", "model.safetensors"];

export async function compilePack(src: string, finalOut: string, o: CompilePackOptions): Promise<PackManifest> {
  const progress = o.progress ?? silentProgress;
  const precision = o.precision ?? "fp32";
  // fp16 only where it holds the golden tolerance (10x atol): the UNet and IdentityNet, which are
  // most of the weights. Rounding the Resampler's or the text encoders' weights alone moves their
  // outputs past it, and fp16 SDXL VAE decoders overflow to black images: those stay fp32.
  const fusedAttention = o.fusedAttention === true;
  const graphOptions = (name: NetworkName): Partial<GraphOptions> => ({
    ...(precision === "fp32" || !FP16_NETWORKS.has(name) ? {} : precision === "fp16" ? { computeType: "float16" } : { weightType: "float16" }),
    ...(fusedAttention && FUSED_ATTENTION_NETWORKS.has(name) ? { fusedAttention: true } : {}),
  });

  const unetConfig = readJson(join(src, "unet", "config.json"));
  const controlnetDir = firstExisting([join(src, "ControlNetModel"), join(src, "controlnet")], "the IdentityNet ControlNet folder (ControlNetModel/ or controlnet/)");
  const ipAdapterPath = firstExisting([join(src, "ip-adapter.bin"), join(src, "ip-adapter.safetensors")], "InstantID's ip-adapter.bin");
  const crossDim = num(unetConfig, "cross_attention_dim");
  const resamplerConfig = existsSync(join(src, "image_proj_config.json"))
    ? readJson(join(src, "image_proj_config.json"))
    : { ...INSTANTID_RESAMPLER, output_dim: crossDim };

  // Refuse a mismatched set before minutes of compiling, not after.
  const te1 = readJson(join(src, "text_encoder", "config.json"));
  const te2 = readJson(join(src, "text_encoder_2", "config.json"));
  const vaeConfig = readJson(join(src, "vae", "config.json"));
  const addTimeDim = num(unetConfig, "addition_time_embed_dim");
  const pooledDim = num(unetConfig, "projection_class_embeddings_input_dim") - 6 * addTimeDim;
  const textHidden: [number, number] = [num(te1, "hidden_size"), num(te2, "hidden_size")];
  if (textHidden[0] + textHidden[1] !== crossDim) {
    throw new CompileError("bad_config", `text encoders' hidden sizes ${textHidden.join(" + ")} do not add up to the UNet's cross_attention_dim ${crossDim}`);
  }
  if (num(te2, "projection_dim") !== pooledDim) {
    throw new CompileError("bad_config", `text_encoder_2 projection_dim ${num(te2, "projection_dim")} is not the pooled width ${pooledDim} the UNet's text_time embedding expects`);
  }
  // Built beside the destination and swapped in at the end: a failed or interrupted compile
  // leaves the previous pack as it was.
  const out = `${finalOut}.partial`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "tokenizer"), { recursive: true });
  try {
    const manifest = await compileInto(out);
    rmSync(finalOut, { recursive: true, force: true });
    renameSync(out, finalOut);
    return manifest;
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }

  async function compileInto(out: string): Promise<PackManifest> {
    const networks: Partial<Record<NetworkName, string>> = {};

    const compileOne = async (name: NetworkName, sources: TensorSource[], build: () => GraphBuilder, checkUnused: () => void) => {
      const step = progress.step(`compile ${name}`);
      try {
        const g = build();
        checkUnused();
        const file = `${name}.onnx`;
        const large = g.initializerBytes > 1_000_000_000;
        writeFileSync(join(out, file), g.encode(large ? { externalDataPath: join(out, `${file}.data`) } : {}));
        networks[name] = file;
        step.done(`${g.nodeCount} nodes, ${(g.initializerBytes / 1e6).toFixed(1)} MB of weights`);
      } finally {
        for (const s of sources) s.close();
      }
    };

    const steps: [NetworkName, () => Promise<void>][] = [
      ["text_encoder", () => compileText(src, "text_encoder", graphOptions("text_encoder"), compileOne)],
      ["text_encoder_2", () => compileText(src, "text_encoder_2", graphOptions("text_encoder_2"), compileOne)],
      [
        "resampler",
        async () => {
          const ckpt = openCheckpoint(ipAdapterPath);
          const w = new Weights(ckpt).scope("image_proj.");
          await compileOne("resampler", [ckpt], () => buildResampler(resamplerConfig, w, graphOptions("resampler")), () => w.assertAllUsed("image_proj"));
        },
      ],
      [
        "controlnet",
        async () => {
          const ckpt = openCheckpoint(weightFile(controlnetDir));
          const w = new Weights(ckpt);
          const cfg = readJson(join(controlnetDir, "config.json"));
          await compileOne("controlnet", [ckpt], () => buildControlNet(cfg, w, graphOptions("controlnet")), () => w.assertAllUsed("ControlNet"));
        },
      ],
      [
        "unet",
        async () => {
          const ckpt = openCheckpoint(weightFile(join(src, "unet")));
          const ip = openCheckpoint(ipAdapterPath);
          const w = new Weights(ckpt);
          const ipw = new Weights(ip).scope("ip_adapter.");
          const numIpTokens = num(resamplerConfig as Record<string, unknown>, "num_queries");
          await compileOne("unet", [ckpt, ip], () => buildUnet(unetConfig, w, ipw, { ...graphOptions("unet"), numIpTokens }), () => {
            w.assertAllUsed("UNet");
            ipw.assertAllUsed("ip_adapter");
          });
        },
      ],
      [
        "vae_decoder",
        async () => {
          const ckpt = openCheckpoint(weightFile(join(src, "vae")));
          const w = new Weights(ckpt);
          const cfg = readJson(join(src, "vae", "config.json"));
          await compileOne("vae_decoder", [ckpt], () => buildVaeDecoder(cfg, w, graphOptions("vae_decoder")), () => assertVaeDecoderWeightsUsed(w));
        },
      ],
    ];
    for (const [, run] of steps) await run();

    const tokenizerDir = firstExisting([join(src, "tokenizer")], "tokenizer/ (vocab.json + merges.txt)");
    for (const f of ["vocab.json", "merges.txt"]) copyFileSync(join(tokenizerDir, f), join(out, "tokenizer", f));

    const blockOut = unetConfig.block_out_channels as number[];
    const layersPerBlock = num(unetConfig, "layers_per_block");
    const manifestBody: Omit<PackManifest, "files"> = {
      format: 1,
      name: o.name,
      createdAt: new Date().toISOString(),
      precision,
      networks: networks as Record<NetworkName, string>,
      tokenizer: { vocab: "tokenizer/vocab.json", merges: "tokenizer/merges.txt" },
      scheduler: readJson(firstExisting([join(src, "scheduler", "scheduler_config.json")], "scheduler/scheduler_config.json")),
      model: {
        latentChannels: num(unetConfig, "in_channels"),
        vaeScaleFactor: 2 ** ((vaeConfig.block_out_channels as number[]).length - 1),
        crossAttentionDim: crossDim,
        textHiddenSizes: textHidden,
        pooledDim,
        numIpTokens: num(resamplerConfig as Record<string, unknown>, "num_queries"),
        embeddingDim: num(resamplerConfig as Record<string, unknown>, "embedding_dim"),
        downResiduals: 1 + blockOut.length * layersPerBlock + (blockOut.length - 1),
      },
      faceEmbeddings: o.faceEmbeddings ?? ["antelopev2"],
      lcm: o.lcm ?? false,
      ...(fusedAttention ? { fusedAttention: true } : {}),
    };
    const manifest: PackManifest = { ...manifestBody, files: await describeFiles(out) };
    writeFileSync(join(out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
    return manifest;
  }
}

type CompileOne = (name: NetworkName, sources: TensorSource[], build: () => GraphBuilder, checkUnused: () => void) => Promise<void>;

async function compileText(src: string, name: "text_encoder" | "text_encoder_2", options: Partial<GraphOptions>, compileOne: CompileOne) {
  const dir = join(src, name);
  const ckpt = openCheckpoint(weightFile(dir));
  const w = new Weights(ckpt);
  const cfg = readJson(join(dir, "config.json"));
  await compileOne(name, [ckpt], () => buildClipTextEncoder(cfg, w, options), () => w.assertAllUsed(name));
}

async function describeFiles(dir: string): Promise<PackFile[]> {
  const files: PackFile[] = [];
  const walk = async (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.name !== MANIFEST_FILE) files.push({ path: relative(dir, p), bytes: statSync(p).size, sha256: await sha256File(p) });
    }
  };
  await walk(dir);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function weightFile(dir: string): string {
  return firstExisting(WEIGHT_FILES.map((f) => join(dir, f)), `weights in ${dir} (${WEIGHT_FILES.join(" or ")})`);
}

function firstExisting(paths: string[], what: string): string {
  const found = paths.find((p) => existsSync(p));
  if (!found) throw new CompileError("bad_config", `missing ${what}: looked for ${paths.join(", ")}`);
  return found;
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new CompileError("bad_config", `missing ${path}`);
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

function num(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  if (typeof v !== "number") throw new CompileError("bad_config", `config field ${key} must be a number (got ${JSON.stringify(v)})`);
  return v;
}
