/**
 * The photos of POST /v1/identities: multipart (field `image`, repeated) or JSON base64. Only
 * shape is checked here; the image intake decides what is an image.
 */
import { z } from "zod";
import { fieldErrorsOf } from "../../shared/contract/problem.ts";
import { ApiError, invalidRequest } from "../errors/api-error.ts";
import { decodeBase64Photo } from "./base64-photo.ts";
import { CreateIdentityJsonSchema, MAX_PHOTOS_PER_IDENTITY } from "../schemas/identity.ts";

export async function readPhotos(contentType: string | undefined, body: Uint8Array): Promise<Uint8Array[]> {
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "multipart/form-data") return readMultipart(contentType ?? "", body);
  if (mediaType === "application/json") return readJson(body);
  throw new ApiError(415, "unsupported_media_type", "Unsupported media type", {
    detail: "Send multipart/form-data with `image` files, or application/json with base64 `images`.",
  });
}

async function readMultipart(contentType: string, body: Uint8Array): Promise<Uint8Array[]> {
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new ApiError(400, "invalid_multipart", "Malformed multipart body");
  }
  const files = form.getAll("image");
  if (files.length === 0) throw invalidRequest([{ path: "image", message: "at least one `image` file is required" }]);
  if (files.length > MAX_PHOTOS_PER_IDENTITY) {
    throw invalidRequest([{ path: "image", message: `at most ${MAX_PHOTOS_PER_IDENTITY} photos` }]);
  }
  const out: Uint8Array[] = [];
  for (const f of files) {
    if (typeof f === "string") throw invalidRequest([{ path: "image", message: "`image` must be a file" }]);
    out.push(new Uint8Array(await f.arrayBuffer()));
  }
  return out;
}

function readJson(body: Uint8Array): Uint8Array[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ApiError(400, "invalid_json", "Body is not valid JSON");
  }
  const parsed = CreateIdentityJsonSchema.safeParse(json);
  if (!parsed.success) throw invalidRequest(fieldErrorsOf(parsed.error as z.ZodError));
  const photos = parsed.data.images ?? [parsed.data.image as string];
  return photos.map((p, i) => {
    const bytes = decodeBase64Photo(p);
    if (!bytes) throw invalidRequest([{ path: parsed.data.images ? `images.${i}` : "image", message: "not base64" }]);
    return bytes;
  });
}
