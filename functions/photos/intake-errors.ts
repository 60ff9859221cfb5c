/**
 * shared/image's intake errors (a stable `code`) as API problems. Matched by code, so the edge
 * needs nothing from the intake module but its codes.
 */
import { PHOTO_INTAKE_PROBLEMS } from "../../shared/contract/faces.ts";
import { ApiError } from "../errors/api-error.ts";

// The contract's table: the runtime's POST /v1/faces/analyze answers the same statuses.
const INTAKE_PROBLEMS: Readonly<Record<string, { readonly status: number; readonly title: string }>> = PHOTO_INTAKE_PROBLEMS;

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
