import { describe, expect, it } from "vitest";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import { RuntimeGenerateRequestSchema } from "../../../shared/contract/generate-request.ts";
import { parseRuntimeEvent, RuntimeEventParseError } from "../../../shared/contract/runtime-events.ts";

const valid = {
  embedding: encodeEmbedding(new Float32Array(512).fill(0.5)),
  embeddingPack: "lite",
  kps: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]],
  prompt: "a person",
  width: 1024,
  height: 1280,
  steps: 30,
  guidanceScale: 5,
  identityStrength: 0.8,
  adapterStrength: 0.8,
  seed: 42,
  scheduler: "euler",
  numImages: 1,
  outputFormat: "png",
};

describe("RuntimeGenerateRequestSchema", () => {
  it("accepts a complete request and defaults the negative prompt", () => {
    const r = RuntimeGenerateRequestSchema.parse(valid);
    expect(r.negativePrompt).toBe("");
  });

  const bad: [string, Record<string, unknown>][] = [
    ["embedding", { embedding: "AAAA" }],
    ["embeddingPack", { embeddingPack: "buffalo_l" }],
    ["kps", { kps: [[1, 2]] }],
    ["kps", { kps: [[1, 2], [3, 4], [5, 6], [7, 8], [9, Infinity]] }],
    ["width", { width: 1023 }],
    ["height", { height: 32 }],
    ["width", { width: 2048, height: 2048 }],
    ["steps", { steps: 101 }],
    ["guidanceScale", { guidanceScale: 21 }],
    ["identityStrength", { identityStrength: -0.1 }],
    ["adapterStrength", { adapterStrength: 1.51 }],
    ["seed", { seed: 2 ** 32 }],
    ["scheduler", { scheduler: "pndm" }],
    ["numImages", { numImages: 0 }],
    ["outputFormat", { outputFormat: "bmp" }],
    ["style", { style: "Unknown" }],
    ["preview", { preview: { everySteps: 0, maxSide: 128 } }],
    ["", { extra: 1 }],
  ];
  for (const [path, patch] of bad) {
    it(`rejects ${JSON.stringify(patch).slice(0, 60)} at "${path}"`, () => {
      const r = RuntimeGenerateRequestSchema.safeParse({ ...valid, ...patch });
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join(".").split(".")[0])).toContain(path);
    });
  }
});

describe("runtime events", () => {
  it("parses each event type and applies defaults", () => {
    expect(parseRuntimeEvent("progress", '{"step":3,"total":30}')).toEqual({ type: "progress", data: { step: 3, total: 30 } });
    expect(parseRuntimeEvent("error", '{"code":"queue_full","message":"x"}')).toEqual({
      type: "error",
      data: { code: "queue_full", message: "x", retryable: false },
    });
  });

  it("throws RuntimeEventParseError on unknown types, bad JSON, bad fields and unknown error codes", () => {
    expect(() => parseRuntimeEvent("message", "{}")).toThrow(RuntimeEventParseError);
    expect(() => parseRuntimeEvent("progress", "{")).toThrow(RuntimeEventParseError);
    expect(() => parseRuntimeEvent("progress", '{"step":-1,"total":3}')).toThrow(RuntimeEventParseError);
    expect(() => parseRuntimeEvent("error", '{"code":"oops","message":"x"}')).toThrow(RuntimeEventParseError);
    expect(() => parseRuntimeEvent("image", '{"index":0,"mimeType":"image/png","width":1,"height":1,"seed":0,"data":"!!"}')).toThrow(
      RuntimeEventParseError,
    );
  });
});
