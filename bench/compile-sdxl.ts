/**
 * Compiles the real-size SDXL UNet (with InstantID's IP weights) and the IdentityNet ControlNet
 * from random fp16 weights into a temp dir, and prints time, peak memory, file sizes and node
 * counts. Needs ~8 GB of free disk and ~12 GB of memory: a bench, not a test.
 *   npm run bench -- compile-sdxl [--keep] [--load]
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TensorInfo, TensorSource } from "../shared/checkpoint/tensor-source.ts";
import { numel, type Float32Tensor, type Tensor } from "../shared/tensor/tensor.ts";
import { createSession } from "../shared/onnx/ort-session.ts";
import { buildControlNet } from "../models/compiler/controlnet.ts";
import { buildUnet } from "../models/compiler/unet.ts";
import { Weights } from "../models/compiler/weights.ts";
import type { GraphBuilder } from "../models/compiler/graph/graph-builder.ts";

const root = join(import.meta.dirname, "..");
const unetConfig = JSON.parse(readFileSync(join(root, "test/fixtures/sdxl/unet.json"), "utf8")) as Record<string, unknown>;
// IdentityNet's config is SDXL's UNet core plus the control image embedding (InstantX/InstantID ControlNetModel/config.json)
const controlnetConfig = { ...unetConfig, conditioning_channels: 3, conditioning_embedding_out_channels: [16, 32, 96, 256] };
const keep = process.argv.includes("--keep");
const load = process.argv.includes("--load");

/** Serves whatever a dry run asked for, filled on read with cheap deterministic noise (never all at once). */
class RandomSource implements TensorSource {
  readonly file = "<random>";
  private state = 0x9e3779b9;
  constructor(private readonly shapes: Map<string, readonly number[]>) {}
  names() {
    return [...this.shapes.keys()];
  }
  info(name: string): TensorInfo | undefined {
    const shape = this.shapes.get(name);
    return shape && { name, dtype: "float32", shape };
  }
  read(name: string): Tensor {
    return this.readFloat32(name);
  }
  readFloat32(name: string): Float32Tensor {
    const shape = this.shapes.get(name)!;
    const data = new Float32Array(numel(shape));
    const scale = 1 / Math.sqrt(shape.length > 1 ? numel(shape.slice(1)) : 64);
    let s = this.state;
    for (let i = 0; i < data.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      data[i] = ((s >>> 0) / 4294967296 - 0.5) * scale;
    }
    this.state = s;
    return { dtype: "float32", shape, data };
  }
  close() {}
}

function peakRssGb(): string {
  return (process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2);
}

async function bench(name: string, build: (w: Weights, ip: Weights, dry: boolean) => GraphBuilder, dir: string) {
  const dryW = Weights.dryRun();
  const dryIp = Weights.dryRun();
  build(dryW, dryIp, true);
  const start = performance.now();
  const w = new Weights(new RandomSource(dryW.requested));
  const ip = new Weights(new RandomSource(dryIp.requested));
  const g = build(w, ip, false);
  const built = performance.now();
  const model = join(dir, `${name}.onnx`);
  writeFileSync(model, g.encode({ externalDataPath: `${model}.data` }));
  const written = performance.now();
  const params = [...dryW.requested.values(), ...dryIp.requested.values()].reduce((s, shape) => s + numel(shape), 0);
  console.log(
    JSON.stringify({
      network: name,
      parameters: params,
      nodes: g.nodeCount,
      initializers: g.weights.length,
      buildSeconds: +((built - start) / 1000).toFixed(1),
      writeSeconds: +((written - built) / 1000).toFixed(1),
      onnxBytes: statSync(model).size,
      externalDataBytes: statSync(`${model}.data`).size,
      peakRssGiB: +peakRssGb(),
    }),
  );
  if (load) {
    const t = performance.now();
    const session = await createSession(model, { graphOptimizationLevel: "basic" });
    console.log(JSON.stringify({ network: name, ortLoadSeconds: +((performance.now() - t) / 1000).toFixed(1), peakRssGiB: +peakRssGb() }));
    await session.release();
  }
}

const dir = mkdtempSync(join(tmpdir(), "compile-sdxl-"));
try {
  const opts = (dry: boolean) => ({ weightType: "float16" as const, dryRun: dry });
  await bench("unet", (w, ip, dry) => buildUnet(unetConfig, w, ip, { ...opts(dry), numIpTokens: 16 }), dir);
  await bench("controlnet", (w, _ip, dry) => buildControlNet(controlnetConfig, w, opts(dry)), dir);
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
