/** `Authorization: Bearer <token>` with the secret shared with the edge, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { problemResponse } from "./problem-response.ts";

export function bearerAuth(token: string, onRefused: () => void = () => {}): MiddlewareHandler {
  if (token.length === 0) throw new RangeError("the runtime token must not be empty");
  // Equal-length digests, so the comparison time says nothing about the token's length either.
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      onRefused();
      return problemResponse(401, "unauthorized", "Missing or wrong bearer token", { headers: { "www-authenticate": 'Bearer realm="instantid-runtime"' } });
    }
    await next();
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
