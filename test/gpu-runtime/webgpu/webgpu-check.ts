/**
 * Child process of webgpu.test.ts (ORT writes its placement log to this process's stderr): every golden
 * network case on the webgpu provider against the reference, then the fused denoiser (golden IdentityNet
 * + UNet) on webgpu against the same on cpu, its constants bound in device memory, then the runtime's
 * face analysis batched on webgpu against cpu. One JSON line per
 * check on stdout; "@@case NAME" on stderr before each part's sessions, to attribute the placements.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { createSession, type ModelSession } from "../../../shared/onnx/ort-session.ts";
import { LANE_SAMPLE, ROW_LANES } from "../../../shared/onnx/denoiser-graph.ts";
import { maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { openCheckpoint } from "../../../shared/checkpoint/open-checkpoint.ts";
import { buildResampler } from "../../../models/compiler/resampler.ts";
import { buildUnet } from "../../../models/compiler/unet.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { FusedDenoiser } from "../../../gpu-runtime/sessions/fused-denoiser.ts";
import { loadGoldenCase, atolOf, type GoldenCase } from "../../golden/golden-case.ts";
import { compileControlNetCase } from "../../golden/components/controlnet.ts";
import { compile as compileText } from "../../golden/components/text_encoder.ts";
import { compileUnetCase } from "../../golden/components/unet.ts";
import { compile as compileVae } from "../../golden/components/vae_decoder.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import type { DetectedFace } from "../../../shared/face/face-analyser.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { litePackDir } from "../../shared/face/lite-pack.ts";

const fixtures = join(import.meta.dirname, "../../fixtures/golden");
const mark = (label: string) => process.stderr.write(`\n@@case ${label}\n`);
const report = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function compileResampler(c: GoldenCase): Uint8Array {
  const ckpt = SafetensorsFile.open(join(c.path, "model.safetensors"));
  try {
    return buildResampler(JSON.parse(readFileSync(join(c.path, "config.json"), "utf8")), new Weights(ckpt)).encode();
  } finally {
    ckpt.close();
  }
}

/** The golden UNet with attention as com.microsoft MultiHeadAttention (GraphOptions.fusedAttention). */
function compileUnetFusedAttention(c: GoldenCase): Uint8Array {
  const unet = SafetensorsFile.open(join(c.path, "model.safetensors"));
  const adapter = openCheckpoint(join(c.path, "..", "adapter", "ip-adapter.bin"));
  try {
    const options = { numIpTokens: c.meta.num_ip_tokens as number, fusedAttention: true };
    return buildUnet(JSON.parse(readFileSync(join(c.path, "config.json"), "utf8")), new Weights(unet), new Weights(adapter).scope("ip_adapter."), options).encode();
  } finally {
    unet.close();
    adapter.close();
  }
}

/** label -> golden case folder and how to compile it. */
const CASES: Record<string, [string, (c: GoldenCase) => Uint8Array]> = {
  resampler: ["resampler", compileResampler],
  text_encoder: ["text_encoder", compileText],
  text_encoder_2: ["text_encoder_2", compileText],
  controlnet: ["controlnet", (c) => compileControlNetCase(c).encode()],
  unet: ["unet", (c) => compileUnetCase(c).encode()],
  "unet-fused-attention": ["unet", compileUnetFusedAttention],
  vae_decoder: ["vae_decoder", compileVae],
};

function caseIo(c: GoldenCase): { feeds: Record<string, Tensor>; expected: Record<string, Float32Array> } {
  const io = SafetensorsFile.open(join(c.path, "io.safetensors"));
  try {
    const feeds: Record<string, Tensor> = {};
    const expected: Record<string, Float32Array> = {};
    for (const n of io.names()) {
      if (n.startsWith("in.")) feeds[n.slice(3)] = io.read(n);
      if (n.startsWith("out.")) expected[n.slice(4)] = io.readFloat32(n).data;
    }
    return { feeds, expected };
  } finally {
    io.close();
  }
}

async function networkCase(name: string, folder: string, compile: (c: GoldenCase) => Uint8Array): Promise<void> {
  const c = loadGoldenCase(join(fixtures, folder));
  const { feeds, expected } = caseIo(c);
  mark(name);
  let session: ModelSession | undefined;
  try {
    session = await createSession(compile(c), { providers: ["webgpu"], logSeverityLevel: 0, logId: name });
    const used = Object.fromEntries(Object.entries(feeds).filter(([k]) => session!.inputNames.includes(k)));
    const out = await session.run(used);
    const maxAbsErr = Math.max(...Object.entries(expected).map(([k, want]) => maxAbsDiff(out[k]!.data as Float32Array, want)));
    report({ case: name, provider: session.provider, maxAbsErr, atol: atolOf(c) });
  } catch (err) {
    report({ case: name, error: (err as Error).message.slice(0, 500) });
  } finally {
    await session?.release();
  }
}

/** The golden IdentityNet and UNet fused, on webgpu and on cpu, two steps on the controlnet case's inputs. */
async function denoiserCase(): Promise<void> {
  const cn = loadGoldenCase(join(fixtures, "controlnet"));
  const un = loadGoldenCase(join(fixtures, "unet"));
  const control = caseIo(cn).feeds;
  const unetFeeds = caseIo(un).feeds;
  const rows = control.sample!.shape[0]!;
  const step = (t: number) => ({
    [LANE_SAMPLE]: control.sample!,
    [ROW_LANES]: { dtype: "int64", shape: [rows], data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)) } as Tensor,
    timestep: { dtype: "float32", shape: [1], data: Float32Array.of(t) } as Tensor,
  });
  const rowsOf = (t: Tensor): Tensor => {
    if (t.shape[0] === rows) return t;
    const one = t.data as Float32Array;
    const data = new Float32Array(one.length * rows);
    for (let r = 0; r < rows; r++) data.set(one, r * one.length);
    return { dtype: "float32", shape: [rows, ...t.shape.slice(1)], data };
  };
  const unetSide = { encoder_hidden_states: rowsOf(unetFeeds.encoder_hidden_states!), ip_scale: unetFeeds.ip_scale! };
  const run = async (provider: "webgpu" | "cpu") => {
    mark(provider === "webgpu" ? "denoiser" : "denoiser-cpu");
    const options = { providers: [provider], ...(provider === "webgpu" ? { logSeverityLevel: 0 as const, logId: "denoiser" } : {}) };
    // the fused graphs are derived from what the two networks' sessions would be opened from
    const fused = await FusedDenoiser.open({ source: { model: compileControlNetCase(cn).encode(), options } }, { source: { model: compileUnetCase(un).encode(), options } });
    try {
      const constants = { ...control };
      delete constants.sample;
      const first = await fused.step({ ...constants, ...step(901) }, { ...unetSide, ...step(901) });
      const bytes0 = fused.denoiser.transfer.toOrt + fused.denoiser.transfer.fromOrt;
      const second = await fused.step({ ...constants, ...step(501) }, { ...unetSide, ...step(501) });
      const stepBytes = fused.denoiser.transfer.toOrt + fused.denoiser.transfer.fromOrt - bytes0;
      return { first: first.noise_pred!.data as Float32Array, second: second.noise_pred!.data as Float32Array, stepBytes, provider: fused.denoiser.provider, bindProvider: fused.bind.provider, split: fused.split };
    } finally {
      await fused.release();
    }
  };
  try {
    const gpu = await run("webgpu");
    const cpu = await run("cpu");
    const maxAbsErr = Math.max(maxAbsDiff(gpu.first, cpu.first), maxAbsDiff(gpu.second, cpu.second));
    const latentBytes = control.sample!.data.byteLength / rows;
    report({ case: "denoiser", provider: gpu.provider, bindProvider: gpu.bindProvider, split: gpu.split, maxAbsErr, atol: atolOf(un), stepBytes: gpu.stepBytes, latentBytes, rows });
  } catch (err) {
    report({ case: "denoiser", error: (err as Error).stack?.slice(0, 800) });
  }
}

/**
 * The runtime's face analysis on webgpu (RUNTIME_FACE_PROVIDERS=webgpu,cpu): photos arriving together
 * analysed as one batch on webgpu, against the same photos one by one on cpu.
 */
async function faceCase(): Promise<void> {
  const faces = join(import.meta.dirname, "../../fixtures/faces");
  const photos = await Promise.all(["astronaut.png", "grace_hopper.jpg"].map(async (n) => decodeImage(readFileSync(join(faces, n)))));
  const dir = await litePackDir();
  mark("faces");
  const gpu = await createFaceAnalyser({ pack: "lite", dir, providers: ["webgpu", "cpu"], batchRows: true }, { workers: 1, batch: { maxImages: 4, windowMs: 2_000 } });
  const cpu = await createFaceAnalyser({ pack: "lite", dir, providers: ["cpu"] }, { workers: 1 });
  try {
    const onGpu = await Promise.all(photos.map((p) => gpu.analyse(p)));
    const onCpu: DetectedFace[][] = [];
    for (const p of photos) onCpu.push(await cpu.analyse(p));
    let minCosine = 1;
    let maxBoxErr = 0;
    for (let i = 0; i < photos.length; i++) {
      const a = onGpu[i]![0]!;
      const b = onCpu[i]![0]!;
      let dot = 0, na = 0, nb = 0;
      for (let k = 0; k < a.embedding.length; k++) {
        dot += a.embedding[k]! * b.embedding[k]!;
        na += a.embedding[k]! ** 2;
        nb += b.embedding[k]! ** 2;
      }
      minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
      maxBoxErr = Math.max(maxBoxErr, ...a.bbox.map((v, k) => Math.abs(v - b.bbox[k]!)));
    }
    report({ case: "faces", photos: photos.length, faceCounts: onGpu.map((f) => f.length), cpuFaceCounts: onCpu.map((f) => f.length), minCosine, maxBoxErr, stats: gpu.stats() });
  } catch (err) {
    report({ case: "faces", error: (err as Error).stack?.slice(0, 800) });
  } finally {
    await Promise.all([gpu.close(), cpu.close()]);
  }
}

if (process.argv.includes("--faces-only")) {
  await faceCase();
} else {
  for (const [name, [folder, compile]] of Object.entries(CASES)) await networkCase(name, folder, compile);
  await denoiserCase();
  await faceCase();
}
