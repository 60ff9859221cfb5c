import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("refills over time", async () => {
    // 600/min = 10/s: an empty 1-token bucket has a token again after ~100 ms.
    const key = await h.createKey("user-refill", ["--requests-burst", "1", "--requests-per-minute", "600"]);
    expect((await h.fetch("/v1/identities/idn_missing", { key })).status).toBe(404);
    expect((await h.fetch("/v1/identities/idn_missing", { key })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 150));
    expect((await h.fetch("/v1/identities/idn_missing", { key })).status).toBe(404);
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
