/**
 * shared/image's intake errors (a stable `code`) as API problems. Matched by code, so the edge
 * needs nothing from the intake module but its codes.
 */
import { ApiError } from "../errors/api-error.ts";

const INTAKE_PROBLEMS: Readonly<Record<string, { status: number; title: string }>> = {
  unsupported_format: { status: 415, title: "Unsupported image format" },
  image_too_large: { status: 413, title: "Image too large" },
  too_many_pixels: { status: 413, title: "Image has too many pixels" },
  corrupt_image: { status: 400, title: "Corrupt image" },
  intake_busy: { status: 503, title: "Too many photos in flight" },
};

export function intakeProblem(error: unknown, photoIndex: number, photoCount: number): ApiError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !Object.hasOwn(INTAKE_PROBLEMS, code)) return undefined;
  const p = INTAKE_PROBLEMS[code];
  const which = photoCount > 1 ? `photo ${photoIndex + 1} of ${photoCount}: ` : "";
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  const retry = typeof retryAfter === "number" ? { headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfter))) } } : {};
  return new ApiError(p.status, code, p.title, {
    detail: `${which}${error instanceof Error ? error.message : p.title}`,
    extensions: { photoIndex, ...(code === "intake_busy" ? { retryable: true } : {}) },
    cause: error,
    safeDetail: true,
    ...retry,
  });
}
