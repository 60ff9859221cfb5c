import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { opCounts } from "../../../shared/onnx/onnx-model.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";
import { float32, maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { CompileError } from "../../../models/compiler/compile-error.ts";
import { buildUnet } from "../../../models/compiler/unet.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { compileUnetCase, runUnetCase } from "../../golden/components/unet.ts";
import { atolOf, loadGoldenCase } from "../../golden/golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../../golden/network-case.ts";
import { readTensors, runModel, twice } from "./compiler-test-kit.ts";

const caseDir = join(import.meta.dirname, "../../fixtures/golden/unet");
const adapterPath = join(caseDir, "..", "adapter", "ip-adapter.bin");
const golden = loadGoldenCase(caseDir);
const config = readCaseConfig(golden) as Record<string, unknown>;
const numIpTokens = golden.meta.num_ip_tokens as number;

const runOnce = async (model: Uint8Array, feeds: Record<string, Tensor>) => (await runModel(model, feeds)).noise_pred!;
const unetTensors = () => readTensors(join(caseDir, "model.safetensors"));
const ipTensors = () => readTensors(adapterPath, "ip_adapter.");
const build = (unet: Map<string, Tensor>, ip: Map<string, Tensor>, cfg: unknown = config) =>
  buildUnet(cfg, new Weights(unet), new Weights(ip).scope("ip_adapter."), { numIpTokens });

function goldenInputs(): Record<string, Tensor> {
  const io = SafetensorsFile.open(join(caseDir, "io.safetensors"));
  try {
    return Object.fromEntries(io.names().filter((n) => n.startsWith("in.")).map((n) => [n.slice(3), io.readFloat32(n)]));
  } finally {
    io.close();
  }
}

function goldenOutput(): Float32Array {
  const io = SafetensorsFile.open(join(caseDir, "io.safetensors"));
  try {
    return io.readFloat32("out.noise_pred").data;
  } finally {
    io.close();
  }
}



describe("UNet2DConditionModel with InstantID's decoupled cross-attention", () => {
  it.each(["all", "disabled"] as const)("reproduces the reference noise prediction with graph optimisation %s", async (optimization) => {
    const result = await runUnetCase(golden, { optimization });
    expect(result.maxAbsErr).toBeLessThanOrEqual(result.atol!);
  });

  it("stays within 10x the tolerance with fp16-stored weights, at half the size", async () => {
    const fp16 = compileUnetCase(golden, "float16");
    expect(fp16.initializerBytes).toBeLessThan(0.6 * compileUnetCase(golden).initializerBytes);
    const result = await runUnetCase(golden, { weightType: "float16", atolFactor: 10 });
    expect(result.maxAbsErr).toBeLessThanOrEqual(10 * atolOf(golden));
  });

  it("has every GELU fused by ORT into one Gelu kernel (none left as Erf)", async () => {
    const model = compileUnetCase(golden).encode();
    const erfs = opCounts(model).get("Erf") ?? 0;
    expect(erfs).toBeGreaterThan(0);
    const optimized = join(mkdtempSync(join(tmpdir(), "unet-opt-")), "optimized.onnx");
    const session = await createSession(model, { optimizedModelFilePath: optimized });
    await session.release();
    const counts = opCounts(optimized);
    expect(counts.get("Erf") ?? 0).toBe(0);
    expect(counts.get("com.microsoft:Gelu") ?? counts.get("Gelu")).toBe(erfs);
  });

  it.each(["all", "disabled"] as const)("holds the tolerance with attention as fused MultiHeadAttention nodes, graph optimisation %s", async (optimization) => {
    const unet = new Weights(unetTensors());
    const g = buildUnet(config, unet, new Weights(ipTensors()).scope("ip_adapter."), { numIpTokens, fusedAttention: true });
    const model = g.encode();
    // attn1, and attn2's text and face branches, in every transformer block
    const blocks = g.attentionProcessors.length / 2;
    expect(opCounts(model).get("com.microsoft:MultiHeadAttention")).toBe(3 * blocks);
    expect(opCounts(model).get("Softmax") ?? 0).toBe(0);
    const result = await runNetworkCase(golden, model, { optimization });
    expect(result.maxAbsErr).toBeLessThanOrEqual(result.atol!);
  });

  it("runs a batch of two with one shared timestep or one per sample", async () => {
    const model = compileUnetCase(golden).encode();
    const inputs = goldenInputs();
    const batched: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(inputs)) batched[k] = k === "ip_scale" || k === "timestep" ? t : twice(t);
    const expected = goldenOutput();
    for (const timestep of [inputs.timestep!, twice(inputs.timestep!)]) {
      const out = await runOnce(model, { ...batched, timestep });
      expect(out.shape).toEqual([2, ...inputs.sample!.shape.slice(1)]);
      const d = out.data as Float32Array;
      expect(maxAbsDiff(d.subarray(0, expected.length), expected)).toBeLessThanOrEqual(atolOf(golden));
      expect(maxAbsDiff(d.subarray(expected.length), expected)).toBeLessThanOrEqual(atolOf(golden));
    }
  });

  it.each([
    [16, 16],
    [6, 10],
  ])("keeps height and width dynamic (a %ix%i latent, odd sizes upsampled to the skip's size)", async (h, w) => {
    const model = compileUnetCase(golden).encode();
    const inputs = goldenInputs();
    const session = await createSession(model);
    try {
      const feeds: Record<string, Tensor> = { ...inputs, sample: float32(new Float32Array(4 * h * w).fill(0.1), [1, 4, h, w]) };
      // each residual at its own level's size: ceil-halved per stride-2 conv, as the skips are
      for (const name of session.inputNames.filter((n) => n.startsWith("down.") || n === "mid")) {
        const [, c, levelHeight] = inputs[name]!.shape as [number, number, number];
        const level = Math.log2(inputs.sample!.shape[2]! / levelHeight);
        const size = (n: number) => Array.from({ length: level }).reduce<number>((s) => Math.ceil(s / 2), n);
        feeds[name] = float32(new Float32Array(c * size(h) * size(w)), [1, c, size(h), size(w)]);
      }
      const out = (await session.run(feeds)).noise_pred!;
      expect(out.shape).toEqual([1, 4, h, w]);
      expect((out.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it("takes each attn2's IP weights by its index in diffusers' attn_processors, as the adapter stores them", () => {
    const paths = build(unetTensors(), ipTensors()).attentionProcessors;
    const attn2 = paths.flatMap((p, i) => (p.endsWith(".attn2") ? [i] : []));
    const stored = new Set([...ipTensors().keys()].map((k) => Number(k.split(".")[1])));
    expect(new Set(attn2)).toEqual(stored);
    // registration order: down blocks, then up blocks, then the mid block
    const firstOf = (prefix: string) => paths.findIndex((p) => p.startsWith(prefix));
    expect(firstOf("down_blocks.")).toBeLessThan(firstOf("up_blocks."));
    expect(firstOf("up_blocks.")).toBeLessThan(firstOf("mid_block."));
  });

  it("uses every UNet and adapter-attention tensor of the checkpoints", () => {
    const unet = new Weights(unetTensors());
    const ip = new Weights(ipTensors()).scope("ip_adapter.");
    buildUnet(config, unet, ip, { numIpTokens });
    expect(unet.unused()).toEqual([]);
    expect(ip.unused()).toEqual([]);
  });

  it("reports a checkpoint tensor the config does not use", () => {
    const map = unetTensors();
    map.set("up_blocks.2.attentions.0.proj_in.weight", map.get("up_blocks.0.attentions.0.proj_in.weight")!);
    const w = new Weights(map);
    buildUnet(config, w, new Weights(ipTensors()).scope("ip_adapter."), { numIpTokens });
    expect(() => w.assertAllUsed("UNet")).toThrowError(expect.objectContaining({ code: "unused_weights", key: "up_blocks.2.attentions.0.proj_in.weight" }));
  });

  it("names a missing UNet tensor", () => {
    const map = unetTensors();
    map.delete("up_blocks.1.attentions.2.transformer_blocks.0.ff.net.2.bias");
    expect(() => build(map, ipTensors())).toThrowError(
      expect.objectContaining({ code: "missing_weight", key: "up_blocks.1.attentions.2.transformer_blocks.0.ff.net.2.bias" }),
    );
  });

  it("names a UNet tensor whose shape does not fit the config", () => {
    const map = unetTensors();
    map.set("mid_block.resnets.1.conv1.weight", float32(new Float32Array(64 * 64 * 9 - 64 * 9), [63, 64, 3, 3]));
    expect(() => build(map, ipTensors())).toThrowError(expect.objectContaining({ code: "weight_shape", key: "mid_block.resnets.1.conv1.weight" }));
  });

  it("names a missing adapter tensor by its full checkpoint key", () => {
    const ip = ipTensors();
    const victim = [...ip.keys()].find((k) => k.endsWith("to_v_ip.weight"))!;
    ip.delete(victim);
    expect(() => build(unetTensors(), ip)).toThrowError(expect.objectContaining({ code: "missing_weight", key: victim }));
  });

  it("names an adapter tensor whose shape does not fit the config", () => {
    const ip = ipTensors();
    const victim = [...ip.keys()][0]!;
    ip.set(victim, float32(new Float32Array(64 * 31), [64, 31]));
    expect(() => build(unetTensors(), ip)).toThrowError(expect.objectContaining({ code: "weight_shape", key: victim }));
  });

  it.each([
    ["attention_head_dim", { attention_head_dim: [2, 4] }],
    ["up_block_types", { up_block_types: ["CrossAttnUpBlock2D", "UpBlock2D"] }],
    ["class_embed_type", { class_embed_type: "timestep" }],
    ["use_linear_projection", { use_linear_projection: false }],
    ["block_out_channels", { block_out_channels: [32, 64, "64"] }],
    ["attention_head_dim", { attention_head_dim: [2, 4, 5] }],
    ["cross_attention_dim", { cross_attention_dim: undefined }],
  ])("names the invalid config field %s", (field, change) => {
    const bad = { ...config, ...change };
    expect(() => build(unetTensors(), ipTensors(), bad)).toThrowError(expect.objectContaining({ code: "bad_config", message: expect.stringContaining(field) }));
  });

  it("refuses a token count for the face that is not a positive integer", () => {
    expect(() => buildUnet(config, new Weights(unetTensors()), new Weights(ipTensors()), { numIpTokens: 0 })).toThrowError(CompileError);
  });
});
