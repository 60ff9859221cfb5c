/**
 * POST /v1/faces/analyze (see shared/contract/faces.ts): the photo's bytes in, faces out. The body
 * is read up to the intake's byte limit and no further, so an oversized upload is refused without
 * being buffered.
 */
import type { Context } from "hono";
import {
  encodeEmbedding,
  FacesAnalyzeContentTypeSchema,
  PHOTO_INTAKE_PROBLEMS,
  type FacesAnalyzeResponse,
  type PhotoIntakeCode,
} from "../../shared/contract/index.ts";
import { FaceAnalysisError } from "../../shared/face/face-analysis-error.ts";
import { ImageIntakeError } from "../../shared/image/image-intake-error.ts";
import type { RuntimeFaceService } from "./face-service.ts";
import { problemResponse } from "./problem-response.ts";
import type { RuntimeMetrics } from "./runtime-metrics.ts";

export interface FacesRouteDeps {
  readonly faces: RuntimeFaceService;
  readonly metrics: RuntimeMetrics;
  readonly log?: (line: string) => void;
}

export function facesAnalyzeHandler(d: FacesRouteDeps) {
  return async (c: Context): Promise<Response> => {
    const refuse = (response: Response, code: string) => {
      d.metrics.errors.inc({ code });
      return response;
    };
    const contentType = FacesAnalyzeContentTypeSchema.safeParse(c.req.header("content-type") ?? "");
    if (!contentType.success) {
      return refuse(
        problemResponse(415, "unsupported_media_type", "Unsupported media type", { detail: "send the photo's bytes as the body, with an image/* content type" }),
        "unsupported_media_type",
      );
    }
    const { maxBytes } = d.faces.photoLimits;
    const body = await readCapped(c.req.raw, maxBytes);
    if (body === "too_large") {
      return refuse(intakeProblem("image_too_large", `the image is over the limit of ${maxBytes} bytes`), "image_too_large");
    }
    try {
      const started = performance.now();
      const result = await d.faces.analyse(body);
      d.metrics.faceAnalyses.inc();
      d.metrics.faceAnalysisSeconds.observe((performance.now() - started) / 1000);
      const answer: FacesAnalyzeResponse = {
        pack: result.pack,
        imageWidth: result.width,
        imageHeight: result.height,
        faces: result.faces.map((f) => ({
          bbox: [...f.bbox],
          score: f.score,
          kps: f.kps.map(([x, y]) => [x, y] as [number, number]),
          embedding: encodeEmbedding(f.embedding),
          pack: f.pack,
        })),
      };
      return c.json(answer);
    } catch (err) {
      if (err instanceof ImageIntakeError && Object.hasOwn(PHOTO_INTAKE_PROBLEMS, err.code)) {
        const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        return refuse(intakeProblem(err.code as PhotoIntakeCode, err.message, typeof retryAfter === "number" ? retryAfter : undefined), err.code);
      }
      if (err instanceof FaceAnalysisError && (err.code === "pack_missing" || err.code === "pack_invalid")) {
        d.log?.(`faces: ${err.message}`);
        return refuse(problemResponse(503, "faces_unavailable", "Face analysis unavailable", { detail: err.message }), "faces_unavailable");
      }
      throw err;
    }
  };
}

function intakeProblem(code: PhotoIntakeCode, detail: string, retryAfterSeconds?: number): Response {
  const p = PHOTO_INTAKE_PROBLEMS[code];
  const headers = retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) } };
  return problemResponse(p.status, code, p.title, { detail, ...headers });
}

/** The body's bytes, or "too_large" as soon as more than `maxBytes` arrive (or are announced). */
async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array | "too_large"> {
  const announced = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(announced) && announced > maxBytes) return "too_large";
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return "too_large";
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
