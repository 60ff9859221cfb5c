/**
 * CORS for browser clients: the allowed origins come from configuration (CORS_ORIGINS, comma
 * separated; "*" for any origin, empty for none). Preflights are answered here, before auth, and
 * the headers a client needs to read (RateLimit fields, Location, Retry-After, the request id)
 * are exposed.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { EdgeEnv } from "../../env.ts";

export const CORS_EXPOSED_HEADERS = [
  "Location",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "X-Request-Id",
  "Idempotent-Replayed",
  "Preference-Applied",
] as const;

export const CORS_ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "Last-Event-ID",
  "Prefer",
  "X-Request-Id",
] as const;

/** Parses CORS_ORIGINS: "https://a.example, https://b.example", or "*". */
export function parseCorsOrigins(value: string | undefined): readonly string[] {
  return (value ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o.length > 0);
}

/** undefined when no origin is allowed (no CORS headers at all). */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler<EdgeEnv> | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return cors({
    origin: any ? "*" : (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: [...CORS_ALLOWED_HEADERS],
    exposeHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: 600,
  }) as MiddlewareHandler<EdgeEnv>;
}
