/**
 * One token per request from the user's request bucket. Every response carries the key's policies
 * and the request bucket's state (draft-ietf-httpapi-ratelimit-headers-10 `RateLimit-Policy` and
 * `RateLimit`, plus the older RateLimit-Limit / -Remaining / -Reset; see rate-limit/headers.ts);
 * an empty bucket answers a 429 problem naming the policy, with Retry-After. Handlers must build
 * responses through the context (c.json, c.body) for the headers to reach them.
 */
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";
import { requestRateLimitHeaders } from "../../rate-limit/headers.ts";
import { requestPolicy } from "../../rate-limit/key-limits.ts";
import type { RateLimitStore } from "../../stores/rate-limit-store.ts";

export function requestRateLimit(store: RateLimitStore, clock: () => number): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const { userId, limits } = c.get("principal");
    const policy = requestPolicy(limits);
    const decision = await store.take(`requests:${userId}`, policy, 1, clock());
    const headers = requestRateLimitHeaders(limits, decision);
    if (!decision.allowed) {
      const retryAfter = Number.isFinite(decision.retryAfterSeconds) ? Math.max(1, decision.retryAfterSeconds) : 3600;
      throw new ApiError(429, "rate_limited", "Too many requests", {
        detail: `Request limit reached (policy "requests": ${policy.capacity} requests); retry in ${retryAfter} s.`,
        headers: { ...headers, "Retry-After": String(retryAfter) },
        extensions: { policy: "requests", retryAfterSeconds: retryAfter },
      });
    }
    // Set before the handler runs: Hono carries them into the response it builds, whereas a
    // header added to a finished response forces a copy of it (and its body stream).
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    await next();
  };
}
