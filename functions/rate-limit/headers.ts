/**
 * Rate-limit header fields, draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy` lists the
 * key's quota policies (structured-field list: "name";q=quota;w=window seconds[;qu=unit]) and
 * `RateLimit` the state of those this response touched ("name";r=remaining;t=seconds until full).
 * The older draft's RateLimit-Limit / -Remaining / -Reset stay beside them (request policy) for
 * existing clients.
 */
import { costPolicy, inFlightPolicy, requestPolicy, type KeyLimits } from "./key-limits.ts";
import type { BucketDecision, BucketPolicy } from "./token-bucket.ts";

/** Policy names as they appear in the headers and in 429 problem bodies (`policy`). */
export const RATE_LIMIT_POLICIES = {
  requests: "requests",
  cost: "cost",
  inflight: "inflight",
} as const;
export type RateLimitPolicyName = keyof typeof RATE_LIMIT_POLICIES;

const windowOf = (p: BucketPolicy) => (p.refillPerSecond > 0 ? Math.ceil(p.capacity / p.refillPerSecond) : 0);

/** The key's three policies: requests per window, generation cost per window, generations in flight. */
export function rateLimitPolicyHeader(limits: KeyLimits): string {
  const req = requestPolicy(limits);
  const cost = costPolicy(limits);
  const inflight = inFlightPolicy(limits);
  return [
    `"requests";q=${req.capacity};w=${windowOf(req)}`,
    // Cost is steps x width x height x images; it has no registered quota unit.
    `"cost";q=${cost.capacity};w=${windowOf(cost)}`,
    `"inflight";q=${inflight.capacity};qu="concurrent-requests"`,
  ].join(", ");
}

/** One item of the RateLimit field. */
export function rateLimitItem(name: RateLimitPolicyName, d: BucketDecision): string {
  return `"${name}";r=${Math.max(0, d.remaining)};t=${Math.max(0, d.resetSeconds)}`;
}

/** The headers of the request policy's decision, in both drafts' forms. */
export function requestRateLimitHeaders(limits: KeyLimits, d: BucketDecision): Record<string, string> {
  return {
    "RateLimit-Policy": rateLimitPolicyHeader(limits),
    RateLimit: rateLimitItem("requests", d),
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(d.resetSeconds),
  };
}
