import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildClipTextEncoder } from "../../../models/compiler/clip-text-encoder.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { float32ToHalfArray, halfArrayToFloat32 } from "../../../shared/tensor/float16.ts";
import { maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { compile } from "../../golden/components/text_encoder.ts";
import { atolOf, loadGoldenCase, type GoldenCase } from "../../golden/golden-case.ts";
import { readCaseConfig, runNetworkCase } from "../../golden/network-case.ts";
import { runGoldenCase } from "../../golden/runner.ts";
import { compileError, readTensors, runModel } from "./compiler-test-kit.ts";

const GOLDEN = "test/fixtures/golden";
const checkpoint = (c: GoldenCase) => readTensors(join(c.path, "model.safetensors"));
const readIo = (c: GoldenCase) => readTensors(join(c.path, "io.safetensors"));





describe.each(["text_encoder", "text_encoder_2"])("CLIP text encoder, golden case %s", (name) => {
  const c = loadGoldenCase(`${GOLDEN}/${name}`);
  // the outputs SDXL consumes: prompt_embeds from both encoders, pooled text_embeds from the second
  const sdxlOutputs = name === "text_encoder" ? ["penultimate_hidden_state"] : ["penultimate_hidden_state", "text_embeds"];

  it("matches the reference through the golden runner (optimisation level all)", async () => {
    const r = await runGoldenCase(c.path);
    expect(r.reason).toBeUndefined();
    expect(r.pass, JSON.stringify(r)).toBe(true);
  });

  it("matches the reference with graph optimisation disabled", async () => {
    const r = await runNetworkCase(c, compile(c), { optimization: "disabled" });
    expect(r.pass, JSON.stringify(r)).toBe(true);
  });

  it("stores fp16 weights exactly: same outputs as the fp32 graph on fp16-rounded weights", async () => {
    const rounded = new Map<string, Tensor>();
    for (const [k, t] of checkpoint(c)) {
      rounded.set(k, { dtype: "float32", shape: t.shape, data: halfArrayToFloat32(float32ToHalfArray(t.data as Float32Array)) });
    }
    const feeds = { input_ids: readIo(c).get("in.input_ids")! };
    const fp16 = await runModel(compile(c, { weightType: "float16" }), feeds);
    const reference = await runModel(buildClipTextEncoder(readCaseConfig(c), new Weights(rounded)).encode(), feeds);
    for (const key of Object.keys(reference)) {
      expect(maxAbsDiff(fp16[key]!.data as Float32Array, reference[key]!.data as Float32Array), key).toBeLessThanOrEqual(atolOf(c));
    }
  });

  it("with fp16 weights keeps the outputs SDXL uses within 10x the tolerance", async () => {
    for (const optimization of ["all", "disabled"] as const) {
      const r = await runNetworkCase(c, compile(c, { weightType: "float16" }), { optimization, atolFactor: 10 });
      for (const key of sdxlOutputs) expect(r.detail![key], `${optimization} ${key}`).toBeLessThanOrEqual(r.atol!);
    }
  });

  it("runs with fp16 compute on cpu, float32 in and out", async () => {
    const io = readIo(c);
    const out = await runModel(compile(c, { computeType: "float16" }), { input_ids: io.get("in.input_ids")! });
    for (const [key, t] of Object.entries(out)) {
      expect(t.dtype, key).toBe("float32");
      expect(t.shape, key).toEqual(io.get(`out.${key}`)!.shape);
      expect((t.data as Float32Array).every(Number.isFinite), key).toBe(true);
    }
  });

  it("takes any batch and a sequence shorter than 77 (causal: the prefix is unchanged)", async () => {
    const io = readIo(c);
    const ids = io.get("in.input_ids")!;
    const [, L77] = ids.shape as [number, number];
    const row = 1;
    const rowIds = (ids.data as BigInt64Array).subarray(row * L77, (row + 1) * L77);
    let eos = 0;
    for (let i = 1; i < L77; i++) if (rowIds[i]! > rowIds[eos]!) eos = i;
    const L = Math.min(L77, eos + 3);
    const out = await runModel(compile(c), { input_ids: { dtype: "int64", shape: [1, L], data: rowIds.slice(0, L) } });
    for (const key of ["last_hidden_state", "penultimate_hidden_state"]) {
      const ref = io.get(`out.${key}`)!;
      const C = ref.shape[2]!;
      expect(out[key]!.shape).toEqual([1, L, C]);
      const expected = (ref.data as Float32Array).subarray(row * L77 * C, row * L77 * C + L * C);
      expect(maxAbsDiff(out[key]!.data as Float32Array, expected), key).toBeLessThanOrEqual(atolOf(c));
    }
    const pooled = io.get("out.pooled")!;
    const C = pooled.shape[1]!;
    expect(maxAbsDiff(out.pooled!.data as Float32Array, (pooled.data as Float32Array).subarray(row * C, (row + 1) * C))).toBeLessThanOrEqual(atolOf(c));
  });

  it("reports a missing checkpoint tensor by its key", () => {
    const key = "text_model.encoder.layers.1.mlp.fc1.weight";
    const ckpt = checkpoint(c);
    ckpt.delete(key);
    const err = compileError(() => buildClipTextEncoder(readCaseConfig(c), new Weights(ckpt)));
    expect(err.code).toBe("missing_weight");
    expect(err.key).toBe(key);
    expect(err.message).toContain(key);
  });

  it("reports a tensor whose shape the config does not imply by its key", () => {
    const key = "text_model.final_layer_norm.weight";
    const ckpt = checkpoint(c);
    ckpt.set(key, { dtype: "float32", shape: [7], data: new Float32Array(7) });
    const err = compileError(() => buildClipTextEncoder(readCaseConfig(c), new Weights(ckpt)));
    expect(err.code).toBe("weight_shape");
    expect(err.key).toBe(key);
  });

  it("reports checkpoint tensors the config leaves unused (a deeper checkpoint)", () => {
    const cfg = readCaseConfig(c) as { num_hidden_layers: number };
    const ckpt = checkpoint(c);
    const extra = `text_model.encoder.layers.${cfg.num_hidden_layers}.mlp.fc1.bias`;
    ckpt.set(extra, { dtype: "float32", shape: [1], data: new Float32Array(1) });
    const w = new Weights(ckpt);
    buildClipTextEncoder(cfg, w);
    const err = compileError(() => w.assertAllUsed("CLIP text encoder"));
    expect(err.code).toBe("unused_weights");
    expect(err.key).toBe(extra);
  });

  it("accepts the position_ids buffer of older checkpoints, and only plain positions", () => {
    const cfg = readCaseConfig(c) as { max_position_embeddings: number };
    const P = cfg.max_position_embeddings;
    const key = "text_model.embeddings.position_ids";
    const ckpt = checkpoint(c);
    ckpt.set(key, { dtype: "int64", shape: [1, P], data: BigInt64Array.from({ length: P }, (_, i) => BigInt(i)) });
    const w = new Weights(ckpt);
    buildClipTextEncoder(cfg, w);
    expect(() => w.assertAllUsed("CLIP text encoder")).not.toThrow();
    ckpt.set(key, { dtype: "int64", shape: [1, P], data: BigInt64Array.from({ length: P }, (_, i) => BigInt(P - 1 - i)) });
    expect(compileError(() => buildClipTextEncoder(cfg, new Weights(ckpt))).key).toBe(key);
  });
});

describe("CLIP text encoder config", () => {
  const c = loadGoldenCase(`${GOLDEN}/text_encoder_2`);
  const cfg = readCaseConfig(c) as Record<string, unknown>;
  const ckpt = () => new Weights(checkpoint(c));

  it("names the class from transformers' architectures when _class_name is absent", () => {
    const { _class_name, ...rest } = cfg;
    const g = buildClipTextEncoder({ ...rest, architectures: [_class_name] }, ckpt());
    expect(g.options.name).toBe("text_encoder_2");
  });

  it.each([
    ["an unknown activation", { hidden_act: "relu" }, "hidden_act"],
    ["an unknown class", { _class_name: "CLIPVisionModel" }, "_class_name"],
    ["a projection class without projection_dim", { projection_dim: null }, "projection_dim"],
    ["heads that do not divide the width", { num_attention_heads: 5 }, "num_attention_heads"],
  ])("refuses %s", (_what, patch, field) => {
    const err = compileError(() => buildClipTextEncoder({ ...cfg, ...patch }, ckpt()));
    expect(err.code).toBe("bad_config");
    expect(err.message).toContain(field);
  });
});
