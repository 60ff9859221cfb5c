/**
 * Runs every compiled network's golden case on each execution provider and compares it with the
 * Python reference and with cpu: the check that the graphs hold on GPU providers.
 *   npm run bench -- ep-parity [--providers webgpu,cpu] [--fp16]
 * Prints one JSON line per (network, precision, provider). --fp16 adds full fp16 compute graphs
 * (held to 10x the case's atol, as the issue sets for fp16).
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

const golden = join(import.meta.dirname, "../test/fixtures/golden");
const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { providers: { type: "string" }, fp16: { type: "boolean" } } });
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
