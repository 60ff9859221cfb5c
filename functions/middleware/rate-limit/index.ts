/**
 * One token per request from the user's request bucket. Every response carries the bucket's
 * RateLimit-Limit / -Remaining / -Reset (IETF draft-ietf-httpapi-ratelimit-headers); an empty
 * bucket answers 429 with Retry-After. Handlers must build responses through the context
 * (c.json, c.body) for the headers to reach them.
 */
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";
import { requestPolicy } from "../../rate-limit/key-limits.ts";
import type { BucketDecision } from "../../rate-limit/token-bucket.ts";
import type { RateLimitStore } from "../../stores/rate-limit-store.ts";

export function rateLimitHeaders(d: BucketDecision, windowSeconds: number): Record<string, string> {
  return {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(d.resetSeconds),
    "RateLimit-Policy": `${d.limit};w=${windowSeconds}`,
  };
}

export function requestRateLimit(store: RateLimitStore, clock: () => number): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const { userId, limits } = c.get("principal");
    const policy = requestPolicy(limits);
    const decision = await store.take(`requests:${userId}`, policy, 1, clock());
    const window = policy.refillPerSecond > 0 ? Math.ceil(policy.capacity / policy.refillPerSecond) : 0;
    const headers = rateLimitHeaders(decision, window);
    if (!decision.allowed) {
      const retryAfter = Number.isFinite(decision.retryAfterSeconds) ? Math.max(1, decision.retryAfterSeconds) : 3600;
      throw new ApiError(429, "rate_limited", "Too many requests", {
        detail: `Request limit reached; retry in ${retryAfter} s.`,
        headers: { ...headers, "Retry-After": String(retryAfter) },
        extensions: { retryAfterSeconds: retryAfter },
      });
    }
    // Set before the handler runs: Hono carries them into the response it builds, whereas a
    // header added to a finished response forces a copy of it (and its body stream).
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    await next();
  };
}
