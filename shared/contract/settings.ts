/**
 * Zod schemas of each generation setting, built from the limits. The edge's public body and the
 * runtime's request both compose these, so a limit changes in one place.
 */
import { z } from "zod";
import { GENERATION_LIMITS as L, OUTPUT_FORMATS, SCHEDULERS } from "./limits.ts";
import { STYLE_NAMES } from "./styles.ts";

const ranged = (r: { min: number; max: number }) => z.number().min(r.min).max(r.max);

export const SideSchema = z
  .number()
  .int()
  .min(L.side.min)
  .max(L.side.max)
  .multipleOf(L.side.multipleOf)
  .meta({ description: `Pixels, a multiple of ${L.side.multipleOf} in [${L.side.min}, ${L.side.max}].` });

export const PromptSchema = z.string().max(L.promptChars);
export const StyleSchema = z.enum(STYLE_NAMES).meta({ description: "One of InstantID's demo style templates." });
export const StepsSchema = z.number().int().min(L.steps.min).max(L.steps.max);
export const GuidanceScaleSchema = ranged(L.guidanceScale);
export const IdentityStrengthSchema = ranged(L.identityStrength).meta({
  description: "IdentityNet (ControlNet) conditioning scale.",
});
export const AdapterStrengthSchema = ranged(L.adapterStrength).meta({
  description: "Face adapter (IP-attention) scale.",
});
export const SeedSchema = z.number().int().min(L.seed.min).max(L.seed.max);
export const SchedulerSchema = z.enum(SCHEDULERS);
export const NumImagesSchema = z.number().int().min(L.numImages.min).max(L.numImages.max);
export const OutputFormatSchema = z.enum(OUTPUT_FORMATS);

export const PreviewOptionsSchema = z.object({
  /** A preview every this many steps (and none when the field `preview` is absent). */
  everySteps: z.number().int().min(L.previewEverySteps.min).max(L.previewEverySteps.max),
  /** Longest side of the preview JPEG, in pixels. */
  maxSide: z.number().int().min(L.previewMaxSide.min).max(L.previewMaxSide.max),
});
export type PreviewOptions = z.infer<typeof PreviewOptionsSchema>;

/** Width x height must also stay under the pixel budget. */
export function withinPixelBudget(width: number, height: number): boolean {
  return width * height <= L.maxPixels;
}

/**
 * A generation's settings once resolved (defaults, style, fast mode and size applied): what the edge
 * stores with a generation and shows back, one shape for both (functions/stores, functions/schemas).
 */
export const ResolvedGenerationSettingsSchema = z.object({
  prompt: PromptSchema,
  negativePrompt: PromptSchema,
  style: StyleSchema.nullable(),
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
  preview: PreviewOptionsSchema.nullable(),
});
export type ResolvedGenerationSettings = Readonly<z.infer<typeof ResolvedGenerationSettingsSchema>>;
