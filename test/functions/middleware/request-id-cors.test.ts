/**
 * X-Request-Id on every response (and in problem bodies), one JSON access-log line per request
 * without secrets, and CORS from configuration with preflights answered before auth.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { EdgeEnv } from "../../../functions/env.ts";
import { ApiError } from "../../../functions/errors/api-error.ts";
import { corsMiddleware, parseCorsOrigins } from "../../../functions/middleware/cors/index.ts";
import { handleErrors } from "../../../functions/middleware/problem/index.ts";
import { requestId } from "../../../functions/middleware/request-id/index.ts";

function app(opts: { origins?: readonly string[]; lines?: string[] } = {}) {
  const a = new Hono<EdgeEnv>();
  let n = 0;
  a.use("*", requestId({ newId: () => `req_generated${++n}`, accessLog: (l) => opts.lines?.push(l) }));
  const cors = corsMiddleware(opts.origins ?? []);
  if (cors) a.use("*", cors);
  a.onError(handleErrors(() => undefined));
  // Stands in for auth: every /v1 request without the key is refused.
  a.use("/v1/*", async (c, next) => {
    if (c.req.header("authorization") !== "Bearer secret-key") throw new ApiError(401, "unauthorized", "No key");
    c.set("principal", { keyId: "k1", userId: "user-1", limits: { requestsBurst: 1, requestsPerMinute: 1, costBurst: 1, costPerMinute: 1 }, canSignWebhooks: false });
    await next();
  });
  a.post("/v1/things/:id", (c) => {
    c.header("Location", "/v1/things/1");
    return c.json({ ok: true }, 201);
  });
  return a;
}

describe("X-Request-Id and the access log", () => {
  it("takes a well-formed client id, makes one otherwise, and puts it in problem bodies", async () => {
    const a = app();
    const mine = await a.request("/v1/things/1", { method: "POST", headers: { "x-request-id": "client-trace-0001", authorization: "Bearer secret-key" } });
    expect(mine.headers.get("x-request-id")).toBe("client-trace-0001");
    const bad = await a.request("/v1/things/1", { method: "POST", headers: { "x-request-id": "bad id\twith spaces" } });
    const id = bad.headers.get("x-request-id")!;
    expect(id).toMatch(/^req_generated\d+$/);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { requestId: string }).requestId).toBe(id);
    expect((await a.request("/nowhere")).headers.get("x-request-id")).toMatch(/^req_generated/);
  });

  it("logs one JSON line per request: method, route pattern, status, duration, user, id; no key or body", async () => {
    const lines: string[] = [];
    const a = app({ lines });
    await a.request("/v1/things/42?prompt=secret-prompt", {
      method: "POST",
      headers: { authorization: "Bearer secret-key", "x-request-id": "trace-abcdef12" },
      body: JSON.stringify({ prompt: "secret-prompt" }),
    });
    await a.request("/v1/things/42", { method: "POST" });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ msg: "request", method: "POST", route: "/v1/things/:id", status: 201, userId: "user-1", requestId: "trace-abcdef12" });
    expect(typeof first.durationMs).toBe("number");
    expect(JSON.parse(lines[1]!)).toMatchObject({ status: 401, userId: null });
    for (const l of lines) {
      expect(l).not.toContain("secret-key");
      expect(l).not.toContain("secret-prompt");
    }
  });
});

describe("CORS", () => {
  const origins = parseCorsOrigins("https://app.example, https://other.example/");

  it("answers a preflight from an allowed origin without auth", async () => {
    const res = await app({ origins }).request("/v1/things/1", {
      method: "OPTIONS",
      headers: { origin: "https://other.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://other.example");
    expect(res.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("idempotency-key");
    expect(res.headers.get("access-control-allow-methods")).toContain("DELETE");
  });

  it("exposes Location, the RateLimit fields and the request id; other origins get no grant", async () => {
    const a = app({ origins });
    const res = await a.request("/v1/things/1", { method: "POST", headers: { origin: "https://app.example", authorization: "Bearer secret-key" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const exposed = res.headers.get("access-control-expose-headers")!.toLowerCase().split(/\s*,\s*/);
    for (const h of ["location", "ratelimit", "ratelimit-policy", "ratelimit-remaining", "retry-after", "x-request-id"]) expect(exposed).toContain(h);
    const evil = await a.request("/v1/things/1", { method: "POST", headers: { origin: "https://evil.example", authorization: "Bearer secret-key" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is off when no origin is configured", async () => {
    const res = await app().request("/v1/things/1", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
