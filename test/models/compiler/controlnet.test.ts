import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";
import { float32, maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { buildControlNet } from "../../../models/compiler/controlnet.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { compileControlNetCase, runControlNetCase } from "../../golden/components/controlnet.ts";
import { atolOf, loadGoldenCase } from "../../golden/golden-case.ts";
import { readCaseConfig } from "../../golden/network-case.ts";
import { readTensors, twice } from "./compiler-test-kit.ts";

const caseDir = join(import.meta.dirname, "../../fixtures/golden/controlnet");
const golden = loadGoldenCase(caseDir);
const config = readCaseConfig(golden) as Record<string, unknown>;
const tensors = () => readTensors(join(caseDir, "model.safetensors"));


function io(prefix: "in." | "out."): Record<string, Tensor> {
  const f = SafetensorsFile.open(join(caseDir, "io.safetensors"));
  try {
    return Object.fromEntries(f.names().filter((n) => n.startsWith(prefix)).map((n) => [n.slice(prefix.length), f.readFloat32(n)]));
  } finally {
    f.close();
  }
}


describe("ControlNetModel as InstantID's IdentityNet", () => {
  it.each(["all", "disabled"] as const)("reproduces the reference residuals with graph optimisation %s", async (optimization) => {
    const result = await runControlNetCase(golden, { optimization });
    expect(Object.keys(result.detail!).sort()).toEqual(Object.keys(io("out.")).sort());
    expect(result.maxAbsErr).toBeLessThanOrEqual(result.atol!);
  });

  it("stays within 10x the tolerance with fp16-stored weights, at half the size", async () => {
    expect(compileControlNetCase(golden, "float16").initializerBytes).toBeLessThan(0.6 * compileControlNetCase(golden).initializerBytes);
    const result = await runControlNetCase(golden, { weightType: "float16", atolFactor: 10 });
    expect(result.maxAbsErr).toBeLessThanOrEqual(10 * atolOf(golden));
  });

  it("runs a batch of two, conditioning_scale scaling every residual", async () => {
    const inputs = io("in.");
    const expected = io("out.");
    const feeds: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(inputs)) feeds[k] = k === "conditioning_scale" || k === "timestep" ? t : twice(t);
    const scale = (inputs.conditioning_scale!.data as Float32Array)[0]!;
    feeds.conditioning_scale = float32([2 * scale], [1]);
    const session = await createSession(compileControlNetCase(golden).encode());
    try {
      const out = await session.run(feeds);
      for (const [name, want] of Object.entries(expected)) {
        const d = out[name]!.data as Float32Array;
        const doubled = (want.data as Float32Array).map((v) => 2 * v);
        expect(out[name]!.shape).toEqual([2, ...want.shape.slice(1)]);
        // doubling the scale doubles the residual (and its error)
        expect(maxAbsDiff(d.subarray(0, doubled.length), doubled)).toBeLessThanOrEqual(2 * atolOf(golden));
        expect(maxAbsDiff(d.subarray(doubled.length), doubled)).toBeLessThanOrEqual(2 * atolOf(golden));
      }
    } finally {
      await session.release();
    }
  });

  it("keeps the latent and control image sizes dynamic", async () => {
    const inputs = io("in.");
    const [h, w] = [12, 16];
    const session = await createSession(compileControlNetCase(golden).encode());
    try {
      const out = await session.run({
        ...inputs,
        sample: float32(new Float32Array(4 * h * w).fill(0.1), [1, 4, h, w]),
        controlnet_cond: float32(new Float32Array(3 * 64 * h * w).fill(0.5), [1, 3, 8 * h, 8 * w]),
      });
      const factor = inputs.sample!.shape[2]! / io("out.").mid!.shape[2]!;
      expect(out["down.0"]!.shape.slice(2)).toEqual([h, w]);
      expect(out.mid!.shape.slice(2)).toEqual([h / factor, w / factor]);
    } finally {
      await session.release();
    }
  });

  it("uses every tensor of the checkpoint", () => {
    const w = new Weights(tensors());
    buildControlNet(config, w);
    expect(w.unused()).toEqual([]);
  });

  it("reports a checkpoint tensor the config does not use", () => {
    const map = tensors();
    map.set("controlnet_down_blocks.9.weight", map.get("controlnet_down_blocks.8.weight")!);
    const w = new Weights(map);
    buildControlNet(config, w);
    expect(() => w.assertAllUsed("ControlNet")).toThrowError(expect.objectContaining({ code: "unused_weights", key: "controlnet_down_blocks.9.weight" }));
  });

  it("names a missing checkpoint tensor", () => {
    const map = tensors();
    map.delete("controlnet_cond_embedding.blocks.3.weight");
    expect(() => buildControlNet(config, new Weights(map))).toThrowError(expect.objectContaining({ code: "missing_weight", key: "controlnet_cond_embedding.blocks.3.weight" }));
  });

  it("names a checkpoint tensor whose shape does not fit the config", () => {
    const map = tensors();
    map.set("controlnet_mid_block.weight", float32(new Float32Array(64 * 64 * 9), [64, 64, 3, 3]));
    expect(() => buildControlNet(config, new Weights(map))).toThrowError(expect.objectContaining({ code: "weight_shape", key: "controlnet_mid_block.weight" }));
  });

  it.each([
    ["controlnet_conditioning_channel_order", { controlnet_conditioning_channel_order: "bgr" }],
    ["global_pool_conditions", { global_pool_conditions: true }],
    ["conditioning_embedding_out_channels", { conditioning_embedding_out_channels: [] }],
    ["transformer_layers_per_block", { transformer_layers_per_block: [1, 2] }],
    ["down_block_types", { down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "AttnDownBlock2D"] }],
    ["addition_embed_type", { addition_embed_type: null }],
  ])("names the invalid config field %s", (field, change) => {
    expect(() => buildControlNet({ ...config, ...change }, new Weights(tensors()))).toThrowError(
      expect.objectContaining({ code: "bad_config", message: expect.stringContaining(field) }),
    );
  });
});
