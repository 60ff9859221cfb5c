/** Public API shapes of generations and their event stream. */
import { z } from "zod";
import { FACE_PACKS, PREVIEW_MIME_TYPE } from "../../shared/contract/limits.ts";
import {
  AdapterStrengthSchema,
  GuidanceScaleSchema,
  IdentityStrengthSchema,
  NumImagesSchema,
  OutputFormatSchema,
  PreviewOptionsSchema,
  PromptSchema,
  ResolvedGenerationSettingsSchema,
  SchedulerSchema,
  SeedSchema,
  SideSchema,
  StepsSchema,
  StyleSchema,
} from "../../shared/contract/settings.ts";
import { GENERATION_STATUSES } from "../stores/generation-store.ts";

const idString = z.string().min(1).max(64);

export const CreateGenerationSchema = z
  .object({
    identityId: idString,
    prompt: PromptSchema.min(1),
    negativePrompt: PromptSchema.optional(),
    style: StyleSchema.optional(),
    pose: z
      .object({ identityId: idString })
      .strict()
      .optional()
      .meta({ description: "Take the keypoints (and default size) from this identity instead." }),
    width: SideSchema.optional().meta({ description: "Default: InstantID's size for the (pose) photo." }),
    height: SideSchema.optional(),
    steps: StepsSchema.optional(),
    guidanceScale: GuidanceScaleSchema.optional(),
    identityStrength: IdentityStrengthSchema.optional(),
    adapterStrength: AdapterStrengthSchema.optional(),
    seed: SeedSchema.optional().meta({ description: "Default: random (reported back)." }),
    scheduler: SchedulerSchema.optional(),
    numImages: NumImagesSchema.optional(),
    outputFormat: OutputFormatSchema.optional(),
    fast: z.boolean().optional().meta({
      description: "LCM scheduler, 5 steps, guidance 1.5 unless given (needs an LCM-fused pack).",
    }),
    preview: z
      .union([z.boolean(), PreviewOptionsSchema.partial().strict()])
      .optional()
      .meta({ description: "Stream small JPEG previews (SSE only)." }),
    webhookUrl: z.string().max(2048).optional().meta({
      description:
        "POSTed generation.succeeded, generation.failed or generation.cancelled when it ends, signed per Standard Webhooks " +
        "(webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the key's webhook secret). " +
        "http(s) only; hosts resolving to private, loopback or link-local addresses are refused.",
      format: "uri",
    }),
  })
  .strict();
export type CreateGenerationBody = z.infer<typeof CreateGenerationSchema>;

export const GenerationImageSchema = z.object({
  index: z.number().int(),
  url: z.string(),
  mimeType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  seed: z.number().int(),
});

export const GenerationSchema = z.object({
  id: z.string(),
  status: z.enum(GENERATION_STATUSES).meta({
    description: "queued while the runtime's queue holds it, running once the runtime started it.",
  }),
  queuePosition: z.number().int().min(0).nullable().meta({
    description: "While queued: requests ahead of it in the runtime's queue, when the runtime said so; else null.",
  }),
  identityId: z.string(),
  poseIdentityId: z.string().nullable(),
  embeddingModel: z.enum(FACE_PACKS).optional(),
  progress: z.object({ step: z.number().int(), total: z.number().int() }),
  // The stored settings as the contract declares them; preview options only shape the stream.
  settings: ResolvedGenerationSettingsSchema.omit({ preview: true }),
  images: z.array(GenerationImageSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string().meta({ format: "date-time" }),
  finishedAt: z.string().meta({ format: "date-time" }).nullable(),
  links: z.object({ self: z.string(), cancel: z.string() }),
});
export type GenerationView = z.infer<typeof GenerationSchema>;

/** The SSE events a client receives, by event name. */
export const GENERATION_EVENT_SCHEMAS = {
  queued: GenerationSchema,
  progress: z.object({ step: z.number().int(), total: z.number().int() }),
  preview: z.object({
    step: z.number().int(),
    mimeType: z.literal(PREVIEW_MIME_TYPE),
    width: z.number().int(),
    height: z.number().int(),
    data: z.string().meta({ description: "base64" }),
  }),
  image: GenerationImageSchema.extend({ data: z.string().meta({ description: "base64 of the image file" }) }),
  done: GenerationSchema,
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }),
} as const;
export type GenerationEventName = keyof typeof GENERATION_EVENT_SCHEMAS;
export type GenerationEvent = {
  [K in GenerationEventName]: { event: K; data: z.infer<(typeof GENERATION_EVENT_SCHEMAS)[K]> };
}[GenerationEventName];
