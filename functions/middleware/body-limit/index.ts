/**
 * Refuses a body over `maxBytes` with 413 payload_too_large. A declared Content-Length is judged
 * without touching the body (so the Node adapter can still read it on its fast path); a chunked
 * body is counted as it streams, by Hono's bodyLimit.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";

export function limitBody(maxBytes: number): MiddlewareHandler<EdgeEnv> {
  const tooLarge = () =>
    new ApiError(413, "payload_too_large", "Payload too large", { detail: `The body exceeds ${maxBytes} bytes.` });
  const streamed = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (!/^\d+$/.test(length)) throw new ApiError(400, "invalid_content_length", "Invalid Content-Length");
      if (Number(length) > maxBytes) throw tooLarge();
      return next();
    }
    return streamed(c, next);
  };
}
