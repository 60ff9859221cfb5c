/**
 * An error the API answers with a problem+json body. `code` is stable; `status` the HTTP status.
 * Thrown anywhere in the core and rendered by middleware/problem.
 */
import type { ProblemFieldError } from "../../shared/contract/problem.ts";

export interface ApiErrorOptions {
  readonly detail?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly errors?: readonly ProblemFieldError[];
  /** Extra problem members (RFC 9457 extensions), e.g. retryAfterSeconds. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
  /**
   * A 5xx detail is logged and replaced by a generic one unless marked safe: server-side failure
   * text (addresses, errno codes, stack lines) must never reach a client.
   */
  readonly safeDetail?: boolean;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly errors: readonly ProblemFieldError[] | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly safeDetail: boolean;

  constructor(status: number, code: string, title: string, options: ApiErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.safeDetail = options.safeDetail ?? false;
  }
}

export const notFound = (code: string, what: string): ApiError =>
  new ApiError(404, code, `${what} not found`);

export const invalidRequest = (errors: readonly ProblemFieldError[], detail?: string): ApiError =>
  new ApiError(400, "invalid_request", "Invalid request", {
    errors,
    detail: detail ?? errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; "),
  });
