import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertVaeDecoderWeightsUsed, buildVaeDecoder } from "../../../models/compiler/vae-decoder.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { compile } from "../../golden/components/vae_decoder.ts";
import { atolOf, loadGoldenCase, type GoldenCase } from "../../golden/golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../../golden/network-case.ts";
import { runGoldenCase } from "../../golden/runner.ts";
import { compileError, readTensors, runModel } from "./compiler-test-kit.ts";

const c = loadGoldenCase("test/fixtures/golden/vae_decoder");
const config = readCaseConfig(c) as Record<string, unknown>;
const readAll = (c: GoldenCase, file: string) => readTensors(join(c.path, file));
const decode = async (model: Uint8Array, latents: Tensor) => (await runModel(model, { latents })).image!;




describe("VAE decoder, golden case", () => {
  it("matches the reference through the golden runner (optimisation level all)", async () => {
    const r = await runGoldenCase(c.path);
    expect(r.reason).toBeUndefined();
    expect(r.pass, JSON.stringify(r)).toBe(true);
  });

  it("matches the reference with graph optimisation disabled", async () => {
    const r = await runNetworkCase(c, compile(c), { optimization: "disabled" });
    expect(r.pass, JSON.stringify(r)).toBe(true);
  });

  it("with fp16 weights stays within 10x the tolerance", async () => {
    for (const optimization of ["all", "disabled"] as const) {
      const r = await runNetworkCase(c, compile(c, { weightType: "float16" }), { optimization, atolFactor: 10 });
      expect(r.pass, `${optimization}: ${JSON.stringify(r)}`).toBe(true);
    }
  });

  it("runs with fp16 compute on cpu within 10x the tolerance", async () => {
    const r = await runNetworkCase(c, compile(c, { computeType: "float16" }), { atolFactor: 10 });
    expect(r.pass, JSON.stringify(r)).toBe(true);
  });

  it("decodes a batch: every item as it would alone", async () => {
    const io = readAll(c, "io.safetensors");
    const one = io.get("in.latents")!;
    const n = (one.data as Float32Array).length;
    const two = new Float32Array(2 * n);
    two.set(one.data as Float32Array, 0);
    two.set(one.data as Float32Array, n);
    const image = await decode(compile(c), { dtype: "float32", shape: [2, ...one.shape.slice(1)], data: two });
    const expected = io.get("out.image")!.data as Float32Array;
    const m = expected.length;
    expect(image.shape).toEqual([2, ...io.get("out.image")!.shape.slice(1)]);
    expect(maxAbsDiff((image.data as Float32Array).subarray(0, m), expected)).toBeLessThanOrEqual(atolOf(c));
    expect(maxAbsDiff((image.data as Float32Array).subarray(m), expected)).toBeLessThanOrEqual(atolOf(c));
  });

  it("takes any latent height and width, upsampling by 2^(levels-1)", async () => {
    const levels = (config.block_out_channels as number[]).length;
    const lc = config.latent_channels as number;
    const [h, w] = [3, 5];
    const latents: Tensor = { dtype: "float32", shape: [1, lc, h, w], data: Float32Array.from({ length: lc * h * w }, (_, i) => Math.sin(i)) };
    const image = await decode(compile(c), latents);
    const f = 2 ** (levels - 1);
    expect(image.shape).toEqual([1, config.out_channels, h * f, w * f]);
    expect((image.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});

describe("VAE decoder checkpoint checks", () => {
  it("ignores the encoder half of a full AutoencoderKL checkpoint", () => {
    const ckpt = readAll(c, "model.safetensors");
    for (const key of ["encoder.conv_in.weight", "quant_conv.weight", "quant_conv.bias"]) ckpt.set(key, { dtype: "float32", shape: [1], data: new Float32Array(1) });
    const w = new Weights(ckpt);
    buildVaeDecoder(config, w);
    expect(() => assertVaeDecoderWeightsUsed(w)).not.toThrow();
  });

  it("reports a decoder tensor the config does not use by its key", () => {
    const ckpt = readAll(c, "model.safetensors");
    const extra = "decoder.up_blocks.0.attentions.0.to_q.weight";
    ckpt.set(extra, { dtype: "float32", shape: [1], data: new Float32Array(1) });
    const w = new Weights(ckpt);
    buildVaeDecoder(config, w);
    const err = compileError(() => assertVaeDecoderWeightsUsed(w));
    expect(err.code).toBe("unused_weights");
    expect(err.key).toBe(extra);
  });

  it.each(["decoder.mid_block.attentions.0.to_k.bias", "post_quant_conv.weight", "decoder.up_blocks.2.resnets.0.conv_shortcut.weight"])(
    "reports the missing tensor %s by its key",
    (key) => {
      const ckpt = readAll(c, "model.safetensors");
      ckpt.delete(key);
      const err = compileError(() => buildVaeDecoder(config, new Weights(ckpt)));
      expect(err.code).toBe("missing_weight");
      expect(err.key).toBe(key);
      expect(err.message).toContain(key);
    },
  );

  it("reports a tensor of the wrong shape by its key", () => {
    const ckpt = readAll(c, "model.safetensors");
    const key = "decoder.conv_in.weight";
    ckpt.set(key, { dtype: "float32", shape: [1, 1, 3, 3], data: new Float32Array(9) });
    const err = compileError(() => buildVaeDecoder(config, new Weights(ckpt)));
    expect(err.code).toBe("weight_shape");
    expect(err.key).toBe(key);
  });

  it.each([
    ["an up block type it does not build", { up_block_types: ["UpDecoderBlock2D", "AttnUpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"] }, "up_block_types"],
    ["fewer up blocks than levels", { up_block_types: ["UpDecoderBlock2D"] }, "up_block_types"],
    ["channels that do not split into groups", { norm_num_groups: 24 }, "block_out_channels"],
    ["no scaling_factor", { scaling_factor: undefined }, "scaling_factor"],
  ])("refuses a config with %s", (_what, patch, field) => {
    const err = compileError(() => buildVaeDecoder({ ...config, ...patch }, new Weights(readAll(c, "model.safetensors"))));
    expect(err.code).toBe("bad_config");
    expect(err.message).toContain(field);
  });
});
