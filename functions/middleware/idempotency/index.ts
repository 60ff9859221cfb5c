/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on POSTs: the first request with a
 * key runs and its response is kept (24 h); the same key with the same request replays it; with a
 * different request it is a 422; while the first is still running, a 409. Failures the client
 * should retry (429, 5xx) are not kept. A streamed response is kept as the JSON stand-in the
 * handler names (the resource it created), since a stream cannot be replayed.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { IdempotencyStore, StoredResponse } from "../../stores/idempotency-store.ts";
import { requestFingerprint } from "./fingerprint.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  readonly clock: () => number;
  readonly ttlMs?: number;
  /**
   * Answers a replay from the resource as it is now (e.g. a generation's current state, or its
   * event stream); undefined falls back to the stored response.
   */
  readonly replay?: (c: Context<EdgeEnv>, stored: StoredResponse) => Promise<Response | undefined>;
}

export function idempotency(opts: IdempotencyOptions): MiddlewareHandler<EdgeEnv> {
  const ttlMs = opts.ttlMs ?? IDEMPOTENCY_TTL_MS;
  return async (c, next) => {
    const raw = c.req.header("idempotency-key");
    if (raw === undefined) return next();
    // The draft sends the key as a structured-field string ("..."); a bare token is accepted too.
    const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (!KEY_PATTERN.test(key)) {
      throw new ApiError(400, "invalid_idempotency_key", "Invalid Idempotency-Key", {
        detail: "Idempotency-Key must be 1 to 255 visible ASCII characters.",
      });
    }
    const scope = c.get("principal").userId;
    const body = new Uint8Array(await c.req.arrayBuffer());
    const fingerprint = await requestFingerprint(c.req.method, c.req.path, c.req.header("content-type"), body);

    const begun = await opts.store.begin(scope, key, fingerprint, opts.clock(), ttlMs);
    if (begun.kind === "mismatch") {
      throw new ApiError(422, "idempotency_key_reused", "Idempotency-Key reused", {
        detail: "This Idempotency-Key was used with a different request.",
      });
    }
    if (begun.kind === "in_progress") {
      throw new ApiError(409, "idempotency_key_in_use", "Request with this Idempotency-Key in progress", {
        detail: "A request with this Idempotency-Key is still being processed; retry later.",
        headers: { "Retry-After": "1" },
      });
    }
    if (begun.kind === "replay") {
      const r = begun.response;
      c.header("Idempotent-Replayed", "true");
      const current = await opts.replay?.(c, r);
      if (current) return current;
      c.header("Content-Type", r.contentType);
      if (r.location) c.header("Location", r.location);
      return c.body(r.body, r.status as 200);
    }

    try {
      await next();
    } catch (e) {
      await opts.store.release(scope, key);
      throw e;
    }
    const res = c.res;
    if (res.status >= 500 || res.status === 429 || res.status === 409) {
      await opts.store.release(scope, key);
      return;
    }
    const contentType = res.headers.get("content-type") ?? "";
    if (contentType.startsWith("text/event-stream")) {
      const standIn = c.get("idempotentStandIn");
      if (standIn) await opts.store.complete(scope, key, standIn);
      else await opts.store.release(scope, key);
      return;
    }
    await opts.store.complete(scope, key, {
      status: res.status,
      contentType,
      location: res.headers.get("location"),
      body: await res.clone().text(),
    });
  };
}
