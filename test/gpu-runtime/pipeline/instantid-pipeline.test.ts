import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeGenerateRequestSchema, type RuntimeGenerateRequest } from "../../../shared/contract/index.ts";
import type { GeneratedImage, GenerationTask } from "../../../gpu-runtime/pipeline/generation-task.ts";
import { InstantIdPipeline } from "../../../gpu-runtime/pipeline/instantid-pipeline.ts";
import { PipelineError } from "../../../gpu-runtime/pipeline/pipeline-error.ts";
import { runGoldenCase } from "../../golden/runner.ts";
import { tinyRequest } from "../service/loopback-runtime.ts";
import { openTinyPack, type TinyPack } from "./tiny-pack-networks.ts";

function request(over: Parameters<typeof tinyRequest>[0] = {}): RuntimeGenerateRequest {
  return RuntimeGenerateRequestSchema.parse(tinyRequest(over));
}

interface Recorded {
  task: GenerationTask;
  progress: number[];
  images: GeneratedImage[];
  cancel(): void;
}

function task(req: RuntimeGenerateRequest, cancelAtStep?: number): Recorded {
  let cancelled = false;
  const rec: Recorded = {
    progress: [],
    images: [],
    cancel: () => (cancelled = true),
    task: {
      request: req,
      cancelled: () => cancelled,
      events: {
        progress: (step) => {
          rec.progress.push(step);
          if (step === cancelAtStep) cancelled = true;
        },
        preview: () => {},
        image: (img) => rec.images.push(img),
      },
    },
  };
  return rec;
}

describe("InstantID pipeline", () => {
  it("reproduces the reference InstantID loop (golden pipeline case)", async () => {
    const r = await runGoldenCase("test/fixtures/golden/pipeline");
    expect(r.reason).toBeUndefined();
    expect(r.pass).toBe(true);
  });

  describe("on the tiny pack", () => {
    let pack: TinyPack;
    let pipeline: InstantIdPipeline;
    beforeAll(async () => {
      pack = await openTinyPack();
      pipeline = new InstantIdPipeline(pack.networks, pack.tokenizer, pack.manifest);
    });
    afterAll(async () => {
      await pack?.networks.release();
    });

    it("encodes an empty negative prompt as zeros, as SDXL's force_zeros_for_empty_prompt", async () => {
      const zero = await pipeline.prompts.encodeNegative("");
      expect(zero.embeds.every((v) => v === 0) && zero.pooled.every((v) => v === 0)).toBe(true);
      const { textHiddenSizes, pooledDim } = pack.manifest.model;
      expect([zero.embeds.length, zero.pooled.length]).toEqual([77 * (textHiddenSizes[0] + textHiddenSizes[1]), pooledDim]);
      const neg = await pipeline.prompts.encodeNegative("blurry");
      expect(neg.embeds.some((v) => v !== 0)).toBe(true);
      expect(neg.pooled.some((v) => v !== 0)).toBe(true);
    });

    it("lays the two encoders' penultimate states side by side and caches prompts", async () => {
      const text = "a red fox in the snow";
      const enc = await pipeline.prompts.encode(text);
      const [h1, h2] = pack.manifest.model.textHiddenSizes;
      const ids = pack.tokenizer.encode(text);
      const first = await pack.networks.run("text_encoder", {
        input_ids: { dtype: "int64", shape: [1, 77], data: BigInt64Array.from(pack.tokenizer.toModelInput(ids, { padId: pack.tokenizer.eosId }).ids, BigInt) },
      });
      const second = await pack.networks.run("text_encoder_2", {
        input_ids: { dtype: "int64", shape: [1, 77], data: BigInt64Array.from(pack.tokenizer.toModelInput(ids, { padId: 0 }).ids, BigInt) },
      });
      const a = first.penultimate_hidden_state!.data as Float32Array;
      const b = second.penultimate_hidden_state!.data as Float32Array;
      const token = 5;
      expect(Array.from(enc.embeds.subarray(token * (h1 + h2), token * (h1 + h2) + h1))).toEqual(Array.from(a.subarray(token * h1, (token + 1) * h1)));
      expect(Array.from(enc.embeds.subarray(token * (h1 + h2) + h1, (token + 1) * (h1 + h2)))).toEqual(Array.from(b.subarray(token * h2, (token + 1) * h2)));
      expect(Array.from(enc.pooled)).toEqual(Array.from(second.text_embeds!.data as Float32Array));
      const hits = pipeline.prompts.cacheStats.hits;
      expect(await pipeline.prompts.encode(text)).toBe(enc);
      expect(pipeline.prompts.cacheStats.hits).toBe(hits + 1);
    });

    it("caches face tokens by embedding; unconditional tokens are Resampler(zeros), not zeros", async () => {
      const emb = new Float32Array(512).map((_, i) => Math.cos(i));
      const t1 = await pipeline.faces.of(emb);
      expect(await pipeline.faces.of(Float32Array.from(emb))).toBe(t1);
      const uncond = await pipeline.faces.unconditional();
      expect(uncond.some((v) => v !== 0)).toBe(true);
      expect(Array.from(uncond)).not.toEqual(Array.from(t1));
      await expect(pipeline.faces.of(new Float32Array(10))).rejects.toThrow(RangeError);
    });

    it("gives each request of a batch the images it gets alone, stops a cancelled one at the next step, fails a broken one alone", async () => {
      const alone = task(request({ seed: 5, steps: 4 }));
      await pipeline.generate([alone.task]);
      const kept = task(request({ seed: 5, steps: 4 }));
      const dropped = task(request({ seed: 6, steps: 4 }), 1);
      const broken = task({ ...request({ seed: 7, steps: 4 }), embedding: "AAAA" });
      const outcomes = await pipeline.generate([kept.task, dropped.task, broken.task]);
      expect(outcomes[0]).toEqual({ status: "done", images: 1 });
      expect(outcomes[1]).toEqual({ status: "cancelled" });
      expect(outcomes[2]!.status).toBe("failed");
      expect(outcomes[2]!.status === "failed" && outcomes[2].error).toBeInstanceOf(PipelineError);
      expect(kept.progress).toEqual([1, 2, 3, 4]);
      expect(dropped.progress).toEqual([1]);
      expect(dropped.images).toEqual([]);
      expect(kept.images).toHaveLength(1);
      expect(kept.images[0]!.seed).toBe(alone.images[0]!.seed);
      const pixels = (img: GeneratedImage) => sharp(img.bytes).raw().toBuffer();
      const [got, want] = await Promise.all([pixels(kept.images[0]!), pixels(alone.images[0]!)]);
      expect(got.length).toBe(64 * 64 * 3);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1);
    });

    it("splits tasks of different batch keys into separate batches", async () => {
      const a = task(request({ steps: 2 }));
      const b = task(request({ steps: 3, width: 128 }));
      const outcomes = await pipeline.generate([a.task, b.task]);
      expect(outcomes.map((o) => o.status)).toEqual(["done", "done"]);
      expect([a.progress.length, b.progress.length]).toEqual([2, 3]);
      expect(b.images[0]).toMatchObject({ width: 128, height: 64 });
    });
  });
});
