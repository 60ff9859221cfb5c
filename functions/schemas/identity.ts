/** Public API shapes of identities (zod: validation and the OpenAPI document). */
import { z } from "zod";
import { EMBEDDING_DIM, FACE_PACKS, KEYPOINT_COUNT } from "../../shared/contract/limits.ts";

export const MAX_PHOTOS_PER_IDENTITY = 4;

const base64Photo = z.string().min(1).meta({ description: "Base64 of the photo file (a data: URL is accepted)." });

export const CreateIdentityJsonSchema = z
  .object({
    images: z.array(base64Photo).min(1).max(MAX_PHOTOS_PER_IDENTITY).optional(),
    image: base64Photo.optional(),
  })
  .strict()
  .refine((b) => (b.images === undefined) !== (b.image === undefined), {
    message: "send exactly one of `image` or `images`",
  })
  .meta({ description: `One to ${MAX_PHOTOS_PER_IDENTITY} photos of one person, base64.` });

export const CreateIdentityMultipartSchema = z
  .object({
    image: z
      .union([z.string().meta({ format: "binary" }), z.array(z.string().meta({ format: "binary" })).max(MAX_PHOTOS_PER_IDENTITY)])
      .meta({ description: `The field \`image\`, repeated for up to ${MAX_PHOTOS_PER_IDENTITY} photos.` }),
  })
  .meta({ description: "multipart/form-data with one to four `image` files." });

const point = z.tuple([z.number(), z.number()]);

export const DetectedFaceSchema = z.object({
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).meta({ description: "x1, y1, x2, y2 in photo pixels." }),
  score: z.number(),
  kps: z.array(point).length(KEYPOINT_COUNT).meta({
    description: "Left eye, right eye, nose tip, left and right mouth corners, in photo pixels.",
  }),
});

/** A face analysed on the user's device (the web app runs shared/face in the browser): the photo is not sent. */
export const PrecomputedFaceSchema = z
  .object({
    embedding: z
      .string()
      .min(1)
      .max(8192)
      .meta({ description: `Base64 of ${EMBEDDING_DIM} little-endian float32 (${EMBEDDING_DIM * 4} bytes): the raw embedding, as the face pack's recogniser gives it.` }),
    kps: z.array(point).length(KEYPOINT_COUNT).meta({
      description: "Left eye, right eye, nose tip, left and right mouth corners, in photo pixels; inside the image.",
    }),
    bbox: z
      .tuple([z.number(), z.number(), z.number(), z.number()])
      .refine(([x1, y1, x2, y2]) => x2 > x1 && y2 > y1, { message: "expected x1 < x2 and y1 < y2" })
      .meta({ description: "x1, y1, x2, y2 in photo pixels." }),
    score: z.number().min(0).max(1).optional().meta({ description: "The detector's confidence; 1 when not sent." }),
    imageWidth: z.number().int().min(1).max(65535).meta({ description: "Of the upright photo (EXIF orientation applied)." }),
    imageHeight: z.number().int().min(1).max(65535),
  })
  .strict();

export const CreateIdentityFaceJsonSchema = z
  .object({
    face: PrecomputedFaceSchema,
    embeddingModel: z.string().min(1).max(64).meta({
      description: `The face pack that made the embedding (${FACE_PACKS.join(" or ")}); anything but the pack this edge serves is 422 \`embedding_model_mismatch\` (embeddings of two packs are not comparable).`,
    }),
  })
  .strict()
  .meta({ description: "A face analysed on the device instead of the photo; the same embedding again is the same identity." });

export const IdentitySchema = z.object({
  id: z.string(),
  face: DetectedFaceSchema.meta({ description: "The largest face of the first photo." }),
  faces: z.number().int().meta({ description: "Faces found in the first photo." }),
  photos: z.number().int().meta({ description: "Photos whose embeddings were averaged." }),
  imageSize: z.object({ width: z.number().int(), height: z.number().int() }),
  embeddingModel: z.enum(FACE_PACKS).meta({ description: "The face pack that made the embedding." }),
  createdAt: z.string().meta({ format: "date-time" }),
});
export type IdentityView = z.infer<typeof IdentitySchema>;
