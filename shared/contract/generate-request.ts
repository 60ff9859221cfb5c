/**
 * POST /v1/generate on the runtime: what the edge sends. Everything is explicit (the edge resolves
 * defaults, the seed and the output size), so the same request gives the same bytes.
 */
import { z } from "zod";
import { EmbeddingBase64Schema } from "./embedding.ts";
import { FACE_PACKS, GENERATION_LIMITS, KEYPOINT_COUNT } from "./limits.ts";
import {
  AdapterStrengthSchema,
  GuidanceScaleSchema,
  IdentityStrengthSchema,
  NumImagesSchema,
  OutputFormatSchema,
  PreviewOptionsSchema,
  PromptSchema,
  SchedulerSchema,
  SeedSchema,
  SideSchema,
  StepsSchema,
  StyleSchema,
  withinPixelBudget,
} from "./settings.ts";

export const RUNTIME_GENERATE_PATH = "/v1/generate";
export const RUNTIME_HEALTH_PATH = "/healthz";
/** The runtime expects `Authorization: Bearer <token>`, a secret shared with the edge. */
export const RUNTIME_TOKEN_ENV = "RUNTIME_TOKEN";

const finite = z.number().refine(Number.isFinite, { message: "must be finite" });
export const KeypointSchema = z.tuple([finite, finite]);

export const RuntimeGenerateRequestSchema = z
  .object({
    /** The edge's generation id, echoed in `accepted` and logs. */
    requestId: z.string().min(1).max(128).optional(),
    embedding: EmbeddingBase64Schema,
    /** Which face pack made the embedding; the runtime refuses packs its adapter was not trained on. */
    embeddingPack: z.enum(FACE_PACKS),
    /** The 5 keypoints already mapped onto the output canvas (pixels of width x height). */
    kps: z.array(KeypointSchema).length(KEYPOINT_COUNT),
    prompt: PromptSchema,
    negativePrompt: PromptSchema.default(""),
    /** Applied by the runtime with applyStyle() before encoding. */
    style: StyleSchema.optional(),
    width: SideSchema,
    height: SideSchema,
    steps: StepsSchema,
    guidanceScale: GuidanceScaleSchema,
    identityStrength: IdentityStrengthSchema,
    adapterStrength: AdapterStrengthSchema,
    seed: SeedSchema,
    scheduler: SchedulerSchema,
    numImages: NumImagesSchema,
    outputFormat: OutputFormatSchema,
    /** Absent: no preview events. */
    preview: PreviewOptionsSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!withinPixelBudget(r.width, r.height)) {
      ctx.addIssue({
        code: "custom",
        path: ["width"],
        message: `width x height must be at most ${GENERATION_LIMITS.maxPixels} pixels`,
      });
    }
  })
  .meta({ description: "The compact request the edge sends the runtime." });

/** What the edge builds (defaults may be omitted). */
export type RuntimeGenerateRequestInput = z.input<typeof RuntimeGenerateRequestSchema>;
/** What the runtime works with after parsing. */
export type RuntimeGenerateRequest = z.output<typeof RuntimeGenerateRequestSchema>;
