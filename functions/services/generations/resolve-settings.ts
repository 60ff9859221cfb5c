/**
 * A request's settings made explicit: InstantID's demo defaults (or the fast-mode preset), the
 * output size from the (pose) photo when not given, a random seed when not given.
 */
import {
  FAST_MODE_PRESET,
  GENERATION_DEFAULTS as D,
  GENERATION_LIMITS as L,
  instantIdOutputSize,
} from "../../../shared/contract/limits.ts";
import { randomUint32 } from "../../crypto/random-pool.ts";
import { invalidRequest } from "../../errors/api-error.ts";
import type { CreateGenerationBody } from "../../schemas/generation.ts";
import type { GenerationSettings } from "../../stores/generation-store.ts";

export function resolveSettings(
  body: CreateGenerationBody,
  photo: { width: number; height: number },
  randomSeed: () => number,
): GenerationSettings {
  const fast = body.fast === true;
  const { width, height } = outputSize(body, photo);
  if (width * height > L.maxPixels) {
    throw invalidRequest([{ path: "width", message: `width x height must be at most ${L.maxPixels} pixels` }]);
  }
  const preview =
    body.preview === undefined || body.preview === false
      ? null
      : {
          everySteps: (body.preview === true ? undefined : body.preview.everySteps) ?? D.previewEverySteps,
          maxSide: (body.preview === true ? undefined : body.preview.maxSide) ?? D.previewMaxSide,
        };
  return {
    prompt: body.prompt,
    negativePrompt: body.negativePrompt ?? D.negativePrompt,
    style: body.style ?? null,
    width,
    height,
    steps: body.steps ?? (fast ? FAST_MODE_PRESET.steps : D.steps),
    guidanceScale: body.guidanceScale ?? (fast ? FAST_MODE_PRESET.guidanceScale : D.guidanceScale),
    identityStrength: body.identityStrength ?? D.identityStrength,
    adapterStrength: body.adapterStrength ?? D.adapterStrength,
    seed: body.seed ?? randomSeed(),
    scheduler: body.scheduler ?? (fast ? FAST_MODE_PRESET.scheduler : D.scheduler),
    numImages: body.numImages ?? D.numImages,
    outputFormat: body.outputFormat ?? D.outputFormat,
    preview,
  };
}

function outputSize(
  body: CreateGenerationBody,
  photo: { width: number; height: number },
): { width: number; height: number } {
  if (body.width !== undefined && body.height !== undefined) return { width: body.width, height: body.height };
  if (body.width === undefined && body.height === undefined) return instantIdOutputSize(photo.width, photo.height);
  // One side given: the other keeps the photo's aspect ratio.
  if (body.width !== undefined) return { width: body.width, height: side((body.width * photo.height) / photo.width) };
  const h = body.height as number;
  return { width: side((h * photo.width) / photo.height), height: h };
}

function side(x: number): number {
  const m = L.side.multipleOf;
  return Math.min(L.side.max, Math.max(L.side.min, Math.round(x / m) * m));
}

export function randomSeed(): number {
  return randomUint32();
}
