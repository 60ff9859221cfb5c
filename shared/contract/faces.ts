/**
 * POST /v1/faces/analyze: photo analysis on the runtime, for an edge that cannot run it itself (a
 * Worker cannot load sharp or onnxruntime-node). The request body is the photo's bytes with an
 * image/* content type; the answer is every face found (largest first) with its 512-float
 * embedding. The runtime applies the same intake limits and refuses with the same codes as the
 * Node edge's intake (shared/image).
 */
import { z } from "zod";
import { EmbeddingBase64Schema } from "./embedding.ts";
import { FACE_PACKS, KEYPOINT_COUNT } from "./limits.ts";

export const RUNTIME_FACES_ANALYZE_PATH = "/v1/faces/analyze";

/** shared/image's intake refusals, as problem codes (with their HTTP status). */
export const PHOTO_INTAKE_PROBLEMS = {
  unsupported_format: { status: 415, title: "Unsupported image format" },
  image_too_large: { status: 413, title: "Image too large" },
  too_many_pixels: { status: 413, title: "Image has too many pixels" },
  corrupt_image: { status: 400, title: "Corrupt image" },
  /** Too many pixels being decoded at once; answered with Retry-After. */
  intake_busy: { status: 503, title: "Too many photos in flight" },
} as const;
export type PhotoIntakeCode = keyof typeof PHOTO_INTAKE_PROBLEMS;
export const PHOTO_INTAKE_CODES = Object.keys(PHOTO_INTAKE_PROBLEMS) as PhotoIntakeCode[];

/** Problem codes only this endpoint answers with (besides the intake codes and `unauthorized`). */
export const FACES_ANALYZE_ERROR_CODES = [
  ...PHOTO_INTAKE_CODES,
  /** The body was not sent as image/* (415). */
  "unsupported_media_type",
  /** The runtime has no usable face pack (503). */
  "faces_unavailable",
] as const;
export type FacesAnalyzeErrorCode = (typeof FACES_ANALYZE_ERROR_CODES)[number];

/** The request's content type: any image/* (the bytes decide the format; the intake sniffs them). */
export const FacesAnalyzeContentTypeSchema = z
  .string()
  .transform((s) => s.split(";")[0]!.trim().toLowerCase())
  .pipe(z.string().regex(/^image\/[a-z0-9][a-z0-9.+-]*$/, { message: "must be an image/* media type" }));

const point = z.tuple([z.number(), z.number()]);

export const AnalyzedFaceSchema = z.object({
  /** x1, y1, x2, y2 in the upright photo's pixels. */
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  score: z.number(),
  /** Left eye, right eye, nose tip, left and right mouth corners. */
  kps: z.array(point).length(KEYPOINT_COUNT),
  embedding: EmbeddingBase64Schema,
  pack: z.enum(FACE_PACKS),
});

export const FacesAnalyzeResponseSchema = z.object({
  pack: z.enum(FACE_PACKS),
  /** Of the upright photo (EXIF orientation applied). */
  imageWidth: z.number().int().min(1),
  imageHeight: z.number().int().min(1),
  /** Largest first; empty when the photo has no face (still a 200). */
  faces: z.array(AnalyzedFaceSchema),
});

export type AnalyzedFace = z.infer<typeof AnalyzedFaceSchema>;
export type FacesAnalyzeResponse = z.infer<typeof FacesAnalyzeResponseSchema>;
