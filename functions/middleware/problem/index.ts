/**
 * Every error leaves as RFC 9457 problem+json with a stable `code`: ApiErrors as they are, Hono's
 * HTTPExceptions by status, anything else as a logged 500 that reveals nothing. A 5xx detail is
 * logged and replaced by a generic sentence (unless the error marks it safe): what failed inside
 * (an address, an errno, a path) is for the operator's log, not the client.
 */
import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { PROBLEM_CONTENT_TYPE, type Problem } from "../../../shared/contract/problem.ts";
import { ApiError } from "../../errors/api-error.ts";

export type ErrorLog = (message: string, error: unknown) => void;

const PUBLIC_5XX_DETAIL: Readonly<Record<number, string>> = {
  500: "The server failed; the error was logged.",
  502: "The GPU runtime failed; the error was logged.",
  503: "The service is temporarily unavailable; retry later.",
  504: "The GPU runtime did not answer in time; retry later.",
};

export function problemBody(err: ApiError, instance: string | undefined, requestId?: string): Problem {
  const detail = err.status >= 500 && !err.safeDetail ? (PUBLIC_5XX_DETAIL[err.status] ?? PUBLIC_5XX_DETAIL[500]) : err.detail;
  return {
    type: "about:blank",
    title: err.title,
    status: err.status,
    code: err.code,
    ...(detail !== undefined ? { detail } : {}),
    ...(instance !== undefined ? { instance } : {}),
    ...(err.errors ? { errors: [...err.errors] } : {}),
    ...err.extensions,
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

export function problemResponse(c: Context, err: ApiError, log?: ErrorLog): Response {
  if (err.status >= 500 && !err.safeDetail && log) log(`${err.status} ${err.code} on ${c.req.method} ${c.req.path}: ${err.detail ?? err.title}`, err.cause ?? err);
  const requestId = (c.get as (key: string) => unknown)("requestId");
  const body = problemBody(err, c.req.path, typeof requestId === "string" ? requestId : undefined);
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  c.header("Content-Type", PROBLEM_CONTENT_TYPE);
  return c.body(JSON.stringify(body), err.status as 400);
}

export function handleErrors(log: ErrorLog): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) return problemResponse(c, err, log);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "http_error";
      return problemResponse(c, new ApiError(status, code, err.message || "Request failed"), log);
    }
    if (isStorageBusy(err)) {
      log(`storage busy on ${c.req.method} ${c.req.path}`, err);
      return problemResponse(
        c,
        new ApiError(503, "storage_busy", "Storage busy", {
          detail: "The database is locked by another writer; retry shortly.",
          headers: { "Retry-After": "1" },
          extensions: { retryAfterSeconds: 1, retryable: true },
          safeDetail: true,
        }),
      );
    }
    log(`unhandled error on ${c.req.method} ${c.req.path}`, err);
    return problemResponse(c, new ApiError(500, "internal_error", "Internal server error"));
  };
}

/**
 * A store that could not get its lock in time (SQLite's SQLITE_BUSY/SQLITE_LOCKED after the busy
 * timeout; D1 reports the same codes in its message): transient, so 503 + Retry-After, not 500.
 */
function isStorageBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
    if (e instanceof Error && /\bSQLITE_(BUSY|LOCKED)\b/.test(e.message)) return true;
  }
  return false;
}

export const handleNotFound: NotFoundHandler = (c) =>
  problemResponse(c, new ApiError(404, "not_found", "Not found", { detail: `${c.req.method} ${c.req.path}` }));

/**
 * 404 for a path no route has; 405 with Allow for a path some route has under other methods.
 * The routes are read from the app on first use (middleware, method ALL, does not count).
 */
export function notFoundOrMethodNotAllowed(app: Pick<Hono<any>, "routes">): NotFoundHandler {
  let matchers: { pattern: RegExp; method: string }[] | undefined;
  return (c) => {
    matchers ??= app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
      .map((r) => ({ method: r.method, pattern: routePattern(r.path) }));
    const path = c.req.path;
    const allowed = new Set(matchers.filter((m) => m.pattern.test(path)).map((m) => m.method));
    if (allowed.size === 0 || allowed.has(c.req.method)) return handleNotFound(c);
    if (allowed.has("GET")) allowed.add("HEAD");
    const allow = [...allowed].sort().join(", ");
    return problemResponse(
      c,
      new ApiError(405, "method_not_allowed", "Method not allowed", {
        detail: `${c.req.method} is not allowed on ${path}; allowed: ${allow}.`,
        headers: { Allow: allow },
      }),
    );
  };
}

/** A Hono route path (`/v1/identities/:id`, trailing slash optional) as an anchored RegExp. */
function routePattern(path: string): RegExp {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const source = trimmed
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * A raw HTTP/1.1 problem response for failures before any request object exists (oversized
 * headers, a malformed request line): what a Node server's clientError handler writes to the socket.
 */
export function rawProblemResponse(status: 400 | 408 | 413 | 431, code: string, title: string, detail: string): string {
  const body = JSON.stringify({ type: "about:blank", title, status, code, detail } satisfies Problem);
  const reason = { 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 431: "Request Header Fields Too Large" }[status];
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${new TextEncoder().encode(body).length}\r\nConnection: close\r\n\r\n${body}`
  );
}
