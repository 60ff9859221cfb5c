/**
 * Every response carries X-Request-Id: the client's when well-formed (so its logs and ours join),
 * else a fresh one. The id is on the context for problem bodies (middleware/problem) and ends up
 * in one structured JSON access-log line per request: method, route (the pattern, never the
 * query), status, duration, user id, request id. Never keys, prompts, embeddings or bodies.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { EdgeEnv } from "../../env.ts";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What a client-sent id may look like (a UUID, a ULID, a trace id...). */
const CLIENT_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export interface AccessLogEntry {
  readonly time: string;
  readonly msg: "request";
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly userId: string | null;
  readonly requestId: string;
}

export interface RequestIdOptions {
  readonly newId: () => string;
  /** One JSON line per request; omitted: no access log. */
  readonly accessLog?: (line: string) => void;
  readonly clock?: () => number;
}

export function requestId(opts: RequestIdOptions): MiddlewareHandler<EdgeEnv> {
  const clock = opts.clock ?? (() => performance.now());
  return async (c, next) => {
    const sent = c.req.header(REQUEST_ID_HEADER);
    const id = sent !== undefined && CLIENT_ID.test(sent) ? sent : opts.newId();
    c.set("requestId", id);
    c.header(REQUEST_ID_HEADER, id);
    const started = clock();
    await next();
    // A handler that built its Response directly: make sure the id is on it.
    if (c.res.headers.get(REQUEST_ID_HEADER) !== id) {
      try {
        c.res.headers.set(REQUEST_ID_HEADER, id);
      } catch {
        // Immutable headers (a fetched Response passed through): leave them.
      }
    }
    if (!opts.accessLog) return;
    const principal = c.get("principal") as { userId: string } | undefined;
    const entry: AccessLogEntry = {
      time: new Date().toISOString(),
      msg: "request",
      method: c.req.method,
      route: safeRoute(c),
      status: c.res.status,
      durationMs: Math.round((clock() - started) * 100) / 100,
      userId: principal?.userId ?? null,
      requestId: id,
    };
    opts.accessLog(JSON.stringify(entry));
  };
}

function safeRoute(c: Parameters<MiddlewareHandler<EdgeEnv>>[0]): string {
  try {
    const route = routePath(c, -1);
    return route === "*" || route === "/*" ? "(unmatched)" : route;
  } catch {
    return "(unmatched)";
  }
}
