/**
 * Runs every compiled network's golden case on each execution provider and compares it with the
 * Python reference and with cpu: the check that the graphs hold on GPU providers.
 *   npm run bench -- ep-parity [--providers webgpu,cpu] [--fp16]
 *   npm run bench -- ep-parity --pack models/packs/tiny [--providers webgpu,cpu]
 * Prints one JSON line per (network, precision, provider). --fp16 adds full fp16 compute graphs
 * (held to 10x the case's atol, as the issue sets for fp16). --pack runs a compiled pack's networks
 * on seeded inputs instead and compares each provider with cpu, under the golden case's atol.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openCheckpoint } from "../shared/checkpoint/open-checkpoint.ts";
import { SafetensorsFile } from "../shared/checkpoint/safetensors.ts";
import { createSession, type ExecutionProvider } from "../shared/onnx/ort-session.ts";
import { maxAbsDiff, type Tensor } from "../shared/tensor/tensor.ts";
import { buildClipTextEncoder } from "../models/compiler/clip-text-encoder.ts";
import { buildControlNet } from "../models/compiler/controlnet.ts";
import type { GraphBuilder, GraphOptions } from "../models/compiler/graph/graph-builder.ts";
import { buildResampler } from "../models/compiler/resampler.ts";
import { buildUnet } from "../models/compiler/unet.ts";
import { buildVaeDecoder } from "../models/compiler/vae-decoder.ts";
import { Weights } from "../models/compiler/weights.ts";
import { readPackManifest } from "../shared/pack/pack-manifest.ts";
import { seededNoise } from "../shared/noise/seeded-noise.ts";

const golden = join(import.meta.dirname, "../test/fixtures/golden");
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { providers: { type: "string" }, fp16: { type: "boolean" }, pack: { type: "string" } },
});
const providers = (values.providers ?? "cpu").split(",") as ExecutionProvider[];
if (!providers.includes("cpu")) providers.push("cpu");

type Build = (cfg: unknown, w: Weights, o: Partial<GraphOptions>) => GraphBuilder;
const NETWORKS: Record<string, Build> = {
  resampler: buildResampler,
  text_encoder: buildClipTextEncoder,
  text_encoder_2: buildClipTextEncoder,
  controlnet: buildControlNet,
  unet: (cfg, w, o) => buildUnet(cfg, w, new Weights(openCheckpoint(join(golden, "adapter/ip-adapter.bin"))).scope("ip_adapter."), { ...o, numIpTokens: 16 }),
  vae_decoder: buildVaeDecoder,
};

if (values.pack) {
  await packParity(values.pack);
  process.exit(0);
}

for (const [name, build] of Object.entries(NETWORKS)) {
  const dir = join(golden, name);
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { atol: number };
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as unknown;
  const io = SafetensorsFile.open(join(dir, "io.safetensors"));
  const feeds: Record<string, Tensor> = {};
  for (const n of io.names()) if (n.startsWith("in.")) feeds[n.slice(3)] = io.read(n);
  const expected = Object.fromEntries(io.names().filter((n) => n.startsWith("out.")).map((n) => [n.slice(4), io.readFloat32(n).data]));
  const precisions: [string, Partial<GraphOptions>, number][] = [["fp32", {}, 1]];
  if (values.fp16) precisions.push(["fp16", { computeType: "float16" }, 10]);
  for (const [precision, options, factor] of precisions) {
    const model = build(cfg, new Weights(SafetensorsFile.open(join(dir, "model.safetensors"))), options).encode();
    let cpuOut: Record<string, Float32Array> | undefined;
    for (const provider of [...providers].reverse()) {
      const line: Record<string, unknown> = { network: name, precision, provider, atol: meta.atol * factor };
      try {
        const session = await createSession(model, { providers: [provider] });
        const names = Object.fromEntries(Object.entries(feeds).filter(([k]) => session.inputNames.includes(k)));
        let out = await session.run(names);
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          out = await session.run(names);
          times.push(performance.now() - t);
        }
        await session.release();
        const got = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
        const vsReference = Math.max(...Object.keys(expected).map((k) => maxAbsDiff(got[k]!, expected[k]!)));
        line.maxAbsErrVsReference = vsReference;
        line.pass = vsReference <= meta.atol * factor;
        if (provider === "cpu") cpuOut = got;
        else if (cpuOut) line.maxAbsDiffVsCpu = Math.max(...Object.keys(expected).map((k) => maxAbsDiff(got[k]!, cpuOut![k]!)));
        line.runMs = +times.sort((a, b) => a - b)[2]!.toFixed(2);
      } catch (err) {
        line.pass = false;
        line.error = (err as Error).message.slice(0, 300);
      }
      console.log(JSON.stringify(line));
    }
  }
  io.close();
}

/** Seeded inputs for a pack's networks at batch 2 and a 64 px image, chained as the pipeline chains them. */
async function packParity(dir: string): Promise<void> {
  const manifest = readPackManifest(dir);
  const m = manifest.model;
  const noise = seededNoise(7);
  const f32 = (shape: number[], scale = 1, offset = 0): Tensor => {
    const data = noise.randn(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * scale + offset;
    return { dtype: "float32", shape, data };
  };
  const ids: Tensor = {
    dtype: "int64",
    shape: [2, 77],
    data: BigInt64Array.from({ length: 154 }, (_, i) => BigInt(i % 77 === 0 ? 49406 : i % 77 < 12 ? 300 + ((i * 7919) % 40000) : 49407)),
  };
  const [h, w] = [8, 8];
  const common = {
    timestep: { dtype: "float32", shape: [1], data: Float32Array.of(501) } as Tensor,
    text_embeds: f32([2, m.pooledDim]),
    time_ids: { dtype: "float32", shape: [2, 6], data: Float32Array.of(64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64) } as Tensor,
  };
  const face = f32([2, m.numIpTokens, m.crossAttentionDim]);
  const inputs: Record<string, Record<string, Tensor>> = {
    text_encoder: { input_ids: ids },
    text_encoder_2: { input_ids: ids },
    resampler: { id_embeds: f32([2, 1, m.embeddingDim], 20) },
    controlnet: {
      sample: f32([2, m.latentChannels, h, w]),
      encoder_hidden_states: face,
      controlnet_cond: f32([2, 3, h * m.vaeScaleFactor, w * m.vaeScaleFactor], 0.3, 0.2),
      conditioning_scale: { dtype: "float32", shape: [1], data: Float32Array.of(0.8) },
      ...common,
    },
    vae_decoder: { latents: f32([2, m.latentChannels, h, w]) },
  };
  const atolOf = (name: string) => (JSON.parse(readFileSync(join(golden, name, "meta.json"), "utf8")) as { atol: number }).atol;
  const order = ["text_encoder", "text_encoder_2", "resampler", "controlnet", "unet", "vae_decoder"] as const;
  for (const name of order) {
    const model = join(dir, manifest.networks[name]!);
    let cpu: Record<string, Tensor> | undefined;
    for (const provider of ["cpu", ...providers.filter((p) => p !== "cpu")] as ExecutionProvider[]) {
      const line: Record<string, unknown> = { pack: manifest.name, network: name, provider, atol: atolOf(name) };
      try {
        const session = await createSession(model, { providers: [provider] });
        const feeds = inputs[name]!;
        let out = await session.run(feeds);
        const t = performance.now();
        for (let i = 0; i < 5; i++) out = await session.run(feeds);
        line.runMs = +((performance.now() - t) / 5).toFixed(2);
        await session.release();
        if (provider === "cpu") {
          cpu = out;
          if (name === "controlnet") {
            // the UNet takes IdentityNet's residuals, as in the pipeline
            inputs.unet = { sample: feeds.sample!, encoder_hidden_states: f32([2, 77 + m.numIpTokens, m.crossAttentionDim]), ip_scale: { dtype: "float32", shape: [1], data: Float32Array.of(0.8) }, ...common, ...out };
          }
        } else {
          const diff = Math.max(...Object.keys(cpu!).map((k) => maxAbsDiff(out[k]!.data as Float32Array, cpu![k]!.data as Float32Array)));
          line.maxAbsDiffVsCpu = diff;
          line.pass = diff <= atolOf(name);
        }
      } catch (err) {
        line.pass = false;
        line.error = (err as Error).message.slice(0, 300);
      }
      console.log(JSON.stringify(line));
    }
  }
}
