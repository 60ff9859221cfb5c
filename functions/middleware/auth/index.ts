/**
 * Bearer API keys. The key id in the key finds the row; the presented key's SHA-256 is compared
 * with the stored one in constant time. Unknown, malformed, wrong and revoked keys all get the
 * same 401, so a caller learns nothing about which keys exist. Failed authentications are limited
 * per client address (a token bucket in this process's memory): past the limit, 429
 * auth_rate_limited with Retry-After before any key is looked at, so keys cannot be guessed at speed.
 */
import type { MiddlewareHandler } from "hono";
import { apiKeyMatchesHash, parseApiKey } from "../../api-keys/api-key.ts";
import { fromHex } from "../../crypto/sha256.ts";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";
import { refill, takeTokens, type BucketPolicy, type BucketState } from "../../rate-limit/token-bucket.ts";
import type { ApiKeyRecord, ApiKeyStore } from "../../stores/api-key-store.ts";

export interface AuthOptions {
  /** Failed authentications one client address may make: a burst, refilled per minute (default 20 and 20). */
  readonly failedAuthBurst?: number;
  readonly failedAuthPerMinute?: number;
  readonly clock?: () => number;
  /** Addresses tracked at once; the least recently failed is forgotten first (default 10 000). */
  readonly maxTrackedAddresses?: number;
}

/**
 * The peer address, platform-free: @hono/node-server's socket (c.env.incoming), else the address
 * Cloudflare's edge sets. Forwarded-for headers are not trusted (a client writes them).
 */
export function clientAddressOf(c: { env: unknown; req: { header(name: string): string | undefined } }): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? c.req.header("cf-connecting-ip") ?? "unknown";
}

const unauthorized = (detail: string) =>
  new ApiError(401, "unauthorized", "Unauthorized", {
    detail,
    headers: { "WWW-Authenticate": 'Bearer realm="instantid-edge"' },
  });

const NO_HASH = new Uint8Array(32);

export function apiKeyAuth(keys: ApiKeyStore, options: AuthOptions = {}): MiddlewareHandler<EdgeEnv> {
  const policy: BucketPolicy = { capacity: options.failedAuthBurst ?? 20, refillPerSecond: (options.failedAuthPerMinute ?? 20) / 60 };
  const clock = options.clock ?? Date.now;
  const maxTracked = options.maxTrackedAddresses ?? 10_000;
  const failures = new Map<string, BucketState>();
  const remember = (address: string, state: BucketState) => {
    failures.delete(address); // re-inserted last: Map order is the eviction order
    failures.set(address, state);
    if (failures.size > maxTracked) failures.delete(failures.keys().next().value!);
  };
  /** 429 while the address has no failure left to spend (checked before any key is looked at). */
  const refuseIfThrottled = (address: string) => {
    const state = failures.get(address);
    if (!state) return;
    const available = refill(state, policy, clock());
    if (available >= 1) return;
    const retry = policy.refillPerSecond > 0 ? Math.max(1, Math.ceil((1 - available) / policy.refillPerSecond)) : 3600;
    throw new ApiError(429, "auth_rate_limited", "Too many failed authentications", {
      detail: `Too many requests with invalid API keys from this address; retry in ${retry} s.`,
      headers: { "Retry-After": String(retry) },
      extensions: { retryAfterSeconds: retry },
    });
  };
  const recordFailure = (address: string) => remember(address, takeTokens(failures.get(address), policy, 1, clock()).state);
  // Decoded stored hashes, per record object: a caching store hands back the same record.
  const decoded = new WeakMap<ApiKeyRecord, Uint8Array>();
  const storedHash = (r: ApiKeyRecord) => {
    let h = decoded.get(r);
    if (!h) {
      h = fromHex(r.hash);
      decoded.set(r, h);
    }
    return h;
  };
  return async (c, next) => {
    const address = clientAddressOf(c);
    refuseIfThrottled(address);
    const header = c.req.header("authorization");
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      recordFailure(address);
      throw unauthorized("Send an API key as 'Authorization: Bearer <key>'.");
    }
    const parsed = parseApiKey(m[1]);
    const record = parsed ? await keys.findById(parsed.keyId) : undefined;
    // Hash and compare even when nothing matched, so timing does not tell the cases apart.
    const ok = await apiKeyMatchesHash(m[1], record ? storedHash(record) : NO_HASH);
    if (!parsed || !record || !ok || record.revokedMs !== null) {
      recordFailure(address);
      throw unauthorized("The API key is not valid.");
    }
    c.set("principal", { keyId: record.id, userId: record.userId, limits: record.limits, canSignWebhooks: Boolean(record.webhookSecret) });
    await next();
  };
}
