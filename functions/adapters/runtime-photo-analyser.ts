/**
 * Photo analysis by the runtime's POST /v1/faces/analyze (shared/contract/faces.ts), for an edge
 * that cannot analyse photos itself (Workers: no native code). Platform-free: fetch only.
 *
 * What can be refused without the runtime is refused here, before a byte is forwarded: an empty or
 * oversized photo, and one whose first bytes are not JPEG, PNG, WebP or AVIF. The runtime applies
 * the full intake (pixel limit, decoding) and its refusals come back as the same ImageIntakeError
 * codes the Node edge's intake throws, so the core answers the same problem on either edge.
 */
import {
  decodeEmbedding,
  FacesAnalyzeResponseSchema,
  PHOTO_INTAKE_CODES,
  PHOTO_MIME_TYPES,
  RUNTIME_FACES_ANALYZE_PATH,
  type PhotoIntakeCode,
} from "../../shared/contract/index.ts";
import type { DetectedFace, Point } from "../../shared/face/face-analyser.ts";
import { sniffImageFormat } from "../../shared/image/image-format.ts";
import { ImageIntakeError, type ImageIntakeErrorCode } from "../../shared/image/image-intake-error.ts";
import { ApiError } from "../errors/api-error.ts";
import type { PhotoAnalyser, PhotoAnalysis } from "../ports/photo-analysis.ts";

export interface RuntimePhotoAnalyserOptions {
  /** The runtime's base URL, e.g. http://127.0.0.1:8788. */
  readonly baseUrl: string;
  /** The bearer token the runtime expects. */
  readonly token: string;
  /** Photos over this many bytes are refused without being forwarded (match the runtime's PHOTO_MAX_BYTES). */
  readonly maxBytes: number;
  /** Default: the global fetch (a Worker's, or Node's). */
  readonly fetch?: typeof fetch;
}

export function createRuntimePhotoAnalyser(opts: RuntimePhotoAnalyserOptions): PhotoAnalyser {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const url = new URL(RUNTIME_FACES_ANALYZE_PATH, opts.baseUrl).href;
  const inFlight = new Set<AbortController>();
  let closed = false;

  return {
    async analyse(photo: Uint8Array): Promise<PhotoAnalysis> {
      if (closed) throw unavailable("the photo analyser is closed");
      if (photo.byteLength === 0) throw new ImageIntakeError("corrupt_image", "the image is empty (0 bytes)");
      if (photo.byteLength > opts.maxBytes) {
        throw new ImageIntakeError("image_too_large", `the image is ${photo.byteLength} bytes; the limit is ${opts.maxBytes} bytes`);
      }
      const sniffed = sniffImageFormat(photo);
      if (!sniffed.accepted) {
        throw new ImageIntakeError("unsupported_format", `unsupported image format: ${sniffed.format}; send a JPEG, PNG, WebP or AVIF photo`, sniffed.format);
      }
      const abort = new AbortController();
      inFlight.add(abort);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${opts.token}`, "content-type": PHOTO_MIME_TYPES[sniffed.format] },
          body: photo as Uint8Array<ArrayBuffer>,
          signal: abort.signal,
        });
      } catch (err) {
        throw unavailable("the runtime could not be reached", err);
      } finally {
        inFlight.delete(abort);
      }
      if (res.ok) return parseAnswer(await res.json().catch(() => undefined));
      const problem = (await res.json().catch(() => undefined)) as { code?: unknown; detail?: unknown } | undefined;
      const code = typeof problem?.code === "string" ? problem.code : "";
      if ((PHOTO_INTAKE_CODES as string[]).includes(code)) {
        const error = new ImageIntakeError(code as PhotoIntakeCode as ImageIntakeErrorCode, typeof problem?.detail === "string" ? problem.detail : code, sniffed.format);
        // intake_busy: the runtime's Retry-After travels on, so the edge answers the client the same.
        const retryAfter = Number(res.headers.get("retry-after") ?? "NaN");
        throw Number.isFinite(retryAfter) ? Object.assign(error, { retryAfterSeconds: retryAfter }) : error;
      }
      // The runtime's own failures (token, pack missing, overload) are the operator's, not the client's.
      throw unavailable(`the runtime answered ${res.status}${code ? ` (${code})` : ""}`);
    },
    async close() {
      closed = true;
      for (const a of inFlight) a.abort();
    },
  };
}

function parseAnswer(json: unknown): PhotoAnalysis {
  const parsed = FacesAnalyzeResponseSchema.safeParse(json);
  if (!parsed.success) throw unavailable("the runtime's face analysis answer does not match the contract");
  const { imageWidth, imageHeight, faces } = parsed.data;
  return {
    width: imageWidth,
    height: imageHeight,
    faces: faces.map(
      (f): DetectedFace => ({
        bbox: f.bbox,
        score: f.score,
        kps: f.kps as unknown as [Point, Point, Point, Point, Point],
        // Checked by the schema: base64 of 512 finite float32.
        embedding: decodeEmbedding(f.embedding)!,
        pack: f.pack,
      }),
    ),
  };
}

function unavailable(reason: string, cause?: unknown): ApiError {
  return new ApiError(503, "face_analysis_unavailable", "Face analysis unavailable", {
    detail: `face analysis is temporarily unavailable: ${reason}`,
    safeDetail: true,
    ...(cause === undefined ? {} : { cause }),
  });
}
