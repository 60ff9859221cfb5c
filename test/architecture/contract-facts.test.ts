/**
 * Contract facts are declared once, in shared/contract, and everything else derives from them:
 * the runtime's schedulers, the face packs an analyser can name, the edge's API schema and the
 * settings a generation record stores. Each check fails if a second declaration drifts.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { FacesAnalyzeResponseSchema } from "../../shared/contract/faces.ts";
import { FACE_PACKS, OUTPUT_FORMATS, OUTPUT_MIME_TYPE_LIST, outputFormatOfMime, PHOTO_FORMATS, PHOTO_MIME_TYPES, SCHEDULERS, type FacePack } from "../../shared/contract/limits.ts";
import { ResolvedGenerationSettingsSchema, type ResolvedGenerationSettings } from "../../shared/contract/settings.ts";
import { ImageEventSchema } from "../../shared/contract/runtime-events.ts";
import type { FacePackName } from "../../shared/face/face-analyser.ts";
import { sniffImageFormat } from "../../shared/image/image-format.ts";
import { createScheduler, SCHEDULER_NAMES } from "../../gpu-runtime/schedulers/scheduler.ts";
import { CreateGenerationSchema, GenerationSchema } from "../../functions/schemas/generation.ts";
import { IdentitySchema } from "../../functions/schemas/identity.ts";
import type { GenerationSettings } from "../../functions/stores/generation-store.ts";
import type { IdentityRecord } from "../../functions/stores/identity-store.ts";
import { sdxlConfig } from "../gpu-runtime/schedulers/fixtures.ts";

const enumOptions = (schema: z.ZodType): readonly string[] => (schema as unknown as { options: readonly string[] }).options;
const unwrap = (schema: z.ZodType): z.ZodType => {
  let s = schema as unknown as { unwrap?: () => z.ZodType };
  while (typeof s.unwrap === "function") s = s.unwrap() as unknown as typeof s;
  return s as unknown as z.ZodType;
};

describe("one source for contract facts (shared/contract)", () => {
  it("the runtime implements exactly the contract's schedulers", () => {
    expect(SCHEDULER_NAMES).toBe(SCHEDULERS);
    for (const name of SCHEDULERS) expect(createScheduler(name, sdxlConfig()).name).toBe(name);
  });

  it("the API accepts exactly the contract's schedulers and output formats", () => {
    const shape = CreateGenerationSchema.shape;
    expect(enumOptions(unwrap(shape.scheduler))).toEqual([...SCHEDULERS]);
    expect(enumOptions(unwrap(shape.outputFormat))).toEqual([...OUTPUT_FORMATS]);
  });

  it("face packs: the analyser's names, the API's embeddingModel and the faces endpoint are the contract's", () => {
    expectTypeOf<FacePackName>().toEqualTypeOf<FacePack>();
    expectTypeOf<IdentityRecord["pack"]>().toEqualTypeOf<FacePack>();
    expect(enumOptions(IdentitySchema.shape.embeddingModel)).toEqual([...FACE_PACKS]);
    expect(enumOptions(FacesAnalyzeResponseSchema.shape.pack)).toEqual([...FACE_PACKS]);
  });

  it("a generation record stores, and the API shows, the contract's resolved settings", () => {
    expectTypeOf<GenerationSettings>().toEqualTypeOf<ResolvedGenerationSettings>();
    const shown = Object.keys(GenerationSchema.shape.settings.shape).sort();
    const stored = Object.keys(ResolvedGenerationSettingsSchema.shape).filter((k) => k !== "preview").sort();
    expect(shown).toEqual(stored);
  });

  it("result images' MIME types are the contract's, both ways", () => {
    expect(enumOptions(ImageEventSchema.shape.mimeType)).toEqual(OUTPUT_MIME_TYPE_LIST);
    for (const f of OUTPUT_FORMATS) expect(outputFormatOfMime(OUTPUT_MIME_TYPE_LIST[OUTPUT_FORMATS.indexOf(f)]!)).toBe(f);
    expect(outputFormatOfMime("image/gif")).toBeUndefined();
  });

  it("the photo formats the intake recognises are the contract's PHOTO_FORMATS", () => {
    const samples: Record<string, number[]> = {
      jpeg: [0xff, 0xd8, 0xff, 0xe0],
      png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      webp: [...new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 ")],
      avif: [0, 0, 0, 0x18, ...new TextEncoder().encode("ftypavif\0\0\0\0avifmif1")],
    };
    expect(Object.keys(samples).sort()).toEqual([...PHOTO_FORMATS].sort());
    for (const [format, head] of Object.entries(samples)) {
      expect(sniffImageFormat(new Uint8Array([...head, ...new Array(32).fill(0)]))).toEqual({ accepted: true, format });
      expect(PHOTO_MIME_TYPES[format as keyof typeof PHOTO_MIME_TYPES]).toBe(`image/${format}`);
    }
  });
});
