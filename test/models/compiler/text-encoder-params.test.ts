import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildClipTextEncoder } from "../../../models/compiler/clip-text-encoder.ts";
import { countParameters } from "../../../models/compiler/dry-run-weights.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";

type Config = { hidden_size: number; num_hidden_layers: number; vocab_size: number; projection_dim: number };
const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8")) as Config;

/** The parameter tensors the compiler asks for, with shapes, without allocating any weights. */
function dryRun(config: unknown): { w: Weights; encode: () => unknown } {
  const w = Weights.dryRun();
  const g = buildClipTextEncoder(config, w, { dryRun: true });
  return { w, encode: () => g.encode() };
}

describe("SDXL text encoders at real size, on paper", () => {
  const te1 = readJson("test/fixtures/sdxl/text_encoder.json");
  const te2 = readJson("test/fixtures/sdxl/text_encoder_2.json");

  it("hold 817,720,320 parameters together (SDXL base's published count)", () => {
    expect(countParameters(dryRun(te1).w) + countParameters(dryRun(te2).w)).toBe(817_720_320);
  });

  it("ask for the HF tensor names with the shapes the configs imply", () => {
    for (const cfg of [te1, te2]) {
      const { requested } = dryRun(cfg).w;
      const C = cfg.hidden_size;
      expect(requested.get("text_model.embeddings.token_embedding.weight")).toEqual([cfg.vocab_size, C]);
      expect(requested.get(`text_model.encoder.layers.${cfg.num_hidden_layers - 1}.self_attn.q_proj.weight`)).toEqual([C, C]);
      expect(requested.has(`text_model.encoder.layers.${cfg.num_hidden_layers}.self_attn.q_proj.weight`)).toBe(false);
    }
    expect(dryRun(te1).w.requested.has("text_projection.weight")).toBe(false);
    expect(dryRun(te2).w.requested.get("text_projection.weight")).toEqual([te2.projection_dim, te2.hidden_size]);
  });

  it("allocate nothing: the dry-run graph refuses to encode", () => {
    expect(() => dryRun(te2).encode()).toThrow(/dry-run/);
  });

  it.each(["text_encoder", "text_encoder_2"])("list exactly the tensors a real checkpoint holds (golden %s)", (name) => {
    const dir = `test/fixtures/golden/${name}`;
    const { requested } = dryRun(JSON.parse(readFileSync(`${dir}/config.json`, "utf8"))).w;
    const ckpt = SafetensorsFile.open(`${dir}/model.safetensors`);
    try {
      const stored = new Map(ckpt.names().map((n) => [n, [...ckpt.info(n)!.shape]]));
      expect(new Map([...requested].map(([k, s]) => [k, [...s]]))).toEqual(stored);
    } finally {
      ckpt.close();
    }
  });
});
