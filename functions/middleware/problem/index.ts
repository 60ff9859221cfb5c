/**
 * Every error leaves as RFC 9457 problem+json with a stable `code`: ApiErrors as they are, Hono's
 * HTTPExceptions by status, anything else as a logged 500 that reveals nothing.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { PROBLEM_CONTENT_TYPE, type Problem } from "../../../shared/contract/problem.ts";
import { ApiError } from "../../errors/api-error.ts";

export function problemResponse(c: Context, err: ApiError): Response {
  const body: Problem = {
    type: "about:blank",
    title: err.title,
    status: err.status,
    code: err.code,
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
    instance: c.req.path,
    ...(err.errors ? { errors: [...err.errors] } : {}),
    ...err.extensions,
  };
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  c.header("Content-Type", PROBLEM_CONTENT_TYPE);
  return c.body(JSON.stringify(body), err.status as 400);
}

export type ErrorLog = (message: string, error: unknown) => void;

export function handleErrors(log: ErrorLog): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) return problemResponse(c, err);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "http_error";
      return problemResponse(c, new ApiError(status, code, err.message || "Request failed"));
    }
    log(`unhandled error on ${c.req.method} ${c.req.path}`, err);
    return problemResponse(c, new ApiError(500, "internal_error", "Internal server error"));
  };
}

export const handleNotFound: NotFoundHandler = (c) =>
  problemResponse(c, new ApiError(404, "not_found", "Not found", { detail: `${c.req.method} ${c.req.path}` }));
