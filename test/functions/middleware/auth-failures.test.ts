/**
 * Failed authentications are limited per client address: 300 wrong keys in a burst are not all
 * answered 401; past the limit the edge answers 429 auth_rate_limited with Retry-After.
 */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EdgeEnv } from "../../../functions/env.ts";
import { apiKeyAuth } from "../../../functions/middleware/auth/index.ts";
import { handleErrors } from "../../../functions/middleware/problem/index.ts";
import { createMemoryApiKeyStore } from "../../../functions/stores/memory/api-key-store.ts";
import { issueApiKey } from "../../../functions/api-keys/issue-api-key.ts";
import { startHarness, type Harness } from "../helpers/edge-harness.ts";

describe("failed-authentication limit over HTTP", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it("300 wrong keys at once from one address: about 20 get 401, the rest 429 with Retry-After", async () => {
    const wrong = "iid_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const responses = await Promise.all(Array.from({ length: 300 }, () => h.fetch("/v1/identities/idn_x", { key: wrong })));
    const statuses = responses.map((r) => r.status);
    // 20 is the burst; a check still in flight when the 20th failure lands may add a few.
    const unauthorized = statuses.filter((s) => s === 401).length;
    expect(unauthorized).toBeGreaterThanOrEqual(20);
    expect(unauthorized).toBeLessThanOrEqual(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - unauthorized);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: "auth_rate_limited" });
  });
});

describe("failed-authentication limit (injected clock, addresses set per request)", () => {
  async function app() {
    const keys = createMemoryApiKeyStore();
    const { key } = await issueApiKey(keys, { userId: "u", limits: {}, nowMs: 0 });
    let now = 1_000_000;
    const a = new Hono<EdgeEnv>();
    a.onError(handleErrors(() => undefined));
    a.use(apiKeyAuth(keys, { failedAuthBurst: 3, failedAuthPerMinute: 6, clock: () => now }));
    a.get("/", (c) => c.text("ok"));
    const from = (address: string, auth?: string) =>
      a.request("/", { headers: auth ? { authorization: `Bearer ${auth}` } : {} }, { incoming: { socket: { remoteAddress: address } } });
    return { key, from, advance: (ms: number) => (now += ms) };
  }

  it("limits each address on its own, refills over time, and never counts successes", async () => {
    const { key, from, advance } = await app();
    for (let i = 0; i < 5; i++) expect((await from("10.0.0.1", key)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await from("10.0.0.1", "iid_wrong")).status).toBe(401);
    const limited = await from("10.0.0.1", "iid_wrong");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("10");
    // While limited, even a valid key is refused: checking it would tell a guesser it is right.
    expect((await from("10.0.0.1", key)).status).toBe(429);
    // Another address is untouched.
    expect((await from("10.0.0.2", "iid_wrong")).status).toBe(401);
    // 6/min: one failure is forgiven every 10 s.
    advance(9_999);
    expect((await from("10.0.0.1", key)).status).toBe(429);
    advance(1);
    expect((await from("10.0.0.1", key)).status).toBe(200);
    expect((await from("10.0.0.1")).status).toBe(401);
    expect((await from("10.0.0.1", key)).status).toBe(429);
  });
});
