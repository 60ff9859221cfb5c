/**
 * The settings a generation accepts, their limits and defaults: one place, read by the edge
 * (validation, defaults, cost) and the runtime (validation). Defaults follow InstantID's demo.
 */

/** ArcFace embedding length (InstantID's Resampler input). */
export const EMBEDDING_DIM = 512;
/** InstantID's keypoints: left eye, right eye, nose tip, left mouth corner, right mouth corner. */
export const KEYPOINT_COUNT = 5;

/** Face packs whose embeddings the contract can carry (see shared/face/face-analyser.ts FacePackName). */
export const FACE_PACKS = ["antelopev2", "lite"] as const;
export type FacePack = (typeof FACE_PACKS)[number];

/** Schedulers the runtime implements (one per golden scheduler case). `lcm` needs an LCM-fused UNet. */
export const SCHEDULERS = ["euler", "euler_a", "ddim", "dpmpp_2m_karras", "lcm"] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export const OUTPUT_FORMATS = ["png", "jpeg", "webp"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_MIME_TYPES = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
} as const satisfies Readonly<Record<OutputFormat, string>>;
export type OutputMimeType = (typeof OUTPUT_MIME_TYPES)[OutputFormat];
/** The result images' MIME types, as a list (zod enums, OpenAPI content types). */
export const OUTPUT_MIME_TYPE_LIST = OUTPUT_FORMATS.map((f) => OUTPUT_MIME_TYPES[f]) as [OutputMimeType, ...OutputMimeType[]];

/** The output format (and file extension) of a result image's MIME type; undefined for any other type. */
export function outputFormatOfMime(mimeType: string): OutputFormat | undefined {
  return OUTPUT_FORMATS.find((f) => OUTPUT_MIME_TYPES[f] === mimeType);
}

/** Previews are always small JPEGs. */
export const PREVIEW_MIME_TYPE = "image/jpeg";

/** Photo formats the intake accepts (sniffed from the bytes), and the MIME type each is sent as. */
export const PHOTO_FORMATS = ["jpeg", "png", "webp", "avif"] as const;
export type PhotoFormat = (typeof PHOTO_FORMATS)[number];
export const PHOTO_MIME_TYPES = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
} as const satisfies Readonly<Record<PhotoFormat, string>>;

export interface NumberRange {
  readonly min: number;
  readonly max: number;
}

export const GENERATION_LIMITS = {
  /** Output width/height: SDXL's VAE factor is 8, so both must be multiples of 8. */
  side: { min: 64, max: 2048, multipleOf: 8 },
  /** Bounds memory and time: 1536 x 1536. */
  maxPixels: 1536 * 1536,
  steps: { min: 1, max: 100 },
  guidanceScale: { min: 0, max: 20 },
  /** IdentityNet (ControlNet) conditioning scale; the demo's slider range. */
  identityStrength: { min: 0, max: 1.5 },
  /** IP-adapter scale of the decoupled face cross-attention; the demo's slider range. */
  adapterStrength: { min: 0, max: 1.5 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  numImages: { min: 1, max: 4 },
  promptChars: 2000,
  previewEverySteps: { min: 1, max: 100 },
  previewMaxSide: { min: 32, max: 512 },
} as const;

export const GENERATION_DEFAULTS = {
  negativePrompt: "",
  steps: 30,
  guidanceScale: 5,
  identityStrength: 0.8,
  adapterStrength: 0.8,
  scheduler: "euler" as SchedulerName,
  numImages: 1,
  outputFormat: "png" as OutputFormat,
  previewEverySteps: 5,
  previewMaxSide: 256,
} as const;

/** The demo's LCM toggle: LCM scheduler, 5 steps, guidance 1.5. Needs an LCM-LoRA-fused UNet in the pack. */
export const FAST_MODE_PRESET = {
  scheduler: "lcm" as SchedulerName,
  steps: 5,
  guidanceScale: 1.5,
} as const;

/**
 * InstantID's demo output size for a photo (its `resize_img`): scale the short side to 1024,
 * then the long side to 1280, then floor both to multiples of 64. Used when a request names no size.
 */
export function instantIdOutputSize(photoWidth: number, photoHeight: number): { width: number; height: number } {
  const minSide = 1024;
  const maxSide = 1280;
  const base = 64;
  const r1 = minSide / Math.min(photoWidth, photoHeight);
  const w1 = roundHalfEven(r1 * photoWidth);
  const h1 = roundHalfEven(r1 * photoHeight);
  const r2 = maxSide / Math.max(w1, h1);
  return {
    width: Math.max(base, Math.floor(roundHalfEven(r2 * w1) / base) * base),
    height: Math.max(base, Math.floor(roundHalfEven(r2 * h1) / base) * base),
  };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
