import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../functions/adapters/node/sqlite/database.ts";
import { createSqliteRateLimitStore } from "../../../functions/adapters/node/sqlite/rate-limit-store.ts";
import type { EdgeEnv } from "../../../functions/env.ts";
import { handleErrors } from "../../../functions/middleware/problem/index.ts";
import { requestRateLimit } from "../../../functions/middleware/rate-limit/index.ts";
import { DEFAULT_KEY_LIMITS } from "../../../functions/rate-limit/key-limits.ts";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe("request rate limit", () => {
  it("admits exactly the bucket size out of 200 concurrent requests, the rest get 429 + Retry-After", async () => {
    const key = await h.createKey("user-burst", ["--requests-burst", "10", "--requests-per-minute", "0.01"]);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => h.fetch("/v1/identities/idn_missing", { key })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(190);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("ratelimit-limit")).toBe("10");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    const body = await limited.json();
    expect(body.code).toBe("rate_limited");
    const admitted = responses.find((r) => r.status !== 429)!;
    expect(admitted.headers.get("ratelimit-limit")).toBe("10");
    expect(Number(admitted.headers.get("ratelimit-remaining"))).toBeLessThan(10);
    expect(Number(admitted.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
  });

  it("counts per user: another user still gets through", async () => {
    const key = await h.createKey("user-other");
    const res = await h.fetch("/v1/identities/idn_missing", { key });
    expect(res.status).toBe(404);
    expect(res.headers.get("ratelimit-remaining")).not.toBeNull();
  });

  it("refills over time (an injected clock: no race with a loaded machine)", async () => {
    // 600/min = 10/s: an empty 1-token bucket has a token again 100 ms later, not before.
    const db = openDatabase(join(h.dataDir, "refill.sqlite"));
    try {
      let now = 1_000_000;
      const app = new Hono<EdgeEnv>();
      app.use(async (c, next) => {
        c.set("principal", { keyId: "k", userId: "user-refill", limits: { ...DEFAULT_KEY_LIMITS, requestsBurst: 1, requestsPerMinute: 600 }, canSignWebhooks: false });
        await next();
      });
      app.use(requestRateLimit(createSqliteRateLimitStore(db), () => now));
      app.onError(handleErrors(() => undefined));
      app.get("/", (c) => c.text("ok"));
      const status = async () => (await app.request("/")).status;
      expect(await status()).toBe(200);
      expect(await status()).toBe(429);
      now += 99;
      expect(await status()).toBe(429);
      now += 1;
      expect(await status()).toBe(200);
      expect(await status()).toBe(429);
    } finally {
      db.close();
    }
  });
});

describe("generation cost limit (steps x pixels x images)", () => {
  it("charges each generation's cost; past the bucket: 429 generation_quota_exceeded; over the burst: 422", async () => {
    const cost = 64 * 64 * 2; // one 64x64 image with 2 steps
    const key = await h.createKey("user-cost", ["--cost-burst", String(cost * 2), "--cost-per-minute", "1"]);
    const identity = await (
      await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })
    ).json();
    const gen = (body: Record<string, unknown>) =>
      h.fetch("/v1/generations", {
        method: "POST",
        key,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2, ...body }),
      });
    const tooCostly = await gen({ steps: 5 });
    expect(tooCostly.status).toBe(422);
    expect((await tooCostly.json()).code).toBe("generation_too_costly");
    expect((await gen({})).status).toBe(202);
    expect((await gen({})).status).toBe(202);
    const third = await gen({});
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await third.json()).code).toBe("generation_quota_exceeded");
  });

  it("refunds the cost when the runtime refuses before starting", async () => {
    const cost = 64 * 64 * 2;
    const key = await h.createKey("user-refund", ["--cost-burst", String(cost), "--cost-per-minute", "1"]);
    const identity = await (
      await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("grace_hopper.jpg")) })
    ).json();
    const gen = () =>
      h.fetch("/v1/generations", {
        method: "POST",
        key,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 }),
      });
    h.stub.behaviour = "busy";
    expect((await gen()).status).toBe(503);
    h.stub.behaviour = "complete";
    expect((await gen()).status).toBe(202);
  });
});
