/**
 * Fair quotas over real HTTP: unrun steps refunded on cancel and failure, the per-key cap on
 * generations in flight under 50 parallel POSTs, and the draft-10 RateLimit fields.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";
import type { ManualStream } from "../helpers/stub-runtime.ts";

let h: Harness;
let identityId: string;
const BIG = ["--requests-burst", "100000", "--requests-per-minute", "100000"];

beforeAll(async () => {
  h = await startHarness();
  const key = await h.createKey("quota-setup", BIG);
  identityId = (await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })).json()).id;
});
afterAll(() => h?.close());
beforeEach(() => {
  h.stub.behaviour = "manual";
});

/** Identities are per user: each test's user gets its own from the same photo. */
async function userWithIdentity(user: string, flags: string[]): Promise<{ key: string; identityId: string }> {
  const key = await h.createKey(user, [...BIG, ...flags]);
  const identity = await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })).json();
  return { key, identityId: identity.id };
}

function post(key: string, idn: string, body: Record<string, unknown> = {}) {
  return h.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identityId: idn, prompt: "p", width: 64, height: 64, steps: 3, ...body }),
  });
}

const cancel = (key: string, id: string) => h.fetch(`/v1/generations/${id}/cancel`, { method: "POST", key });

describe("refunds", () => {
  // One 64x64, 3-step image costs 3 * 64 * 64 = 12288; the bucket holds exactly that and refills
  // one unit a minute, so only a refund can make room for the next generation.
  const oneGeneration = ["--cost-burst", "12288", "--cost-per-minute", "1"];

  it("a cancel straight after the POST gives the whole charge back", async () => {
    const u = await userWithIdentity("refund-cancel", oneGeneration);
    const manual = h.stub.nextManual();
    const first = await (await post(u.key, u.identityId)).json();
    await manual;
    const refused = await post(u.key, u.identityId);
    expect(refused.status).toBe(429);
    expect((await refused.json()).policy).toBe("cost");
    expect((await cancel(u.key, first.id)).status).toBe(200);
    const again = h.stub.nextManual();
    expect((await post(u.key, u.identityId)).status).toBe(202);
    (await again).end();
  });

  it("a cancel after one of three steps gives back two thirds", async () => {
    const u = await userWithIdentity("refund-partial", oneGeneration);
    const manual = h.stub.nextManual();
    const g = await (await post(u.key, u.identityId)).json();
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 0 } });
    m.send({ type: "started", data: {} });
    m.send({ type: "progress", data: { step: 1, total: 3 } });
    for (let i = 0; i < 500; i++) {
      const now = await (await h.fetch(`/v1/generations/${g.id}`, { key: u.key })).json();
      if (now.progress.step === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await (await cancel(u.key, g.id)).json()).progress.step).toBe(1);
    // 8192 (2 steps) is back: a 3-step generation (12288) does not fit, a 2-step one does.
    expect((await post(u.key, u.identityId)).status).toBe(429);
    const next = h.stub.nextManual();
    expect((await post(u.key, u.identityId, { steps: 2 })).status).toBe(202);
    (await next).end();
  });

  it("a failure before any step gives the whole charge back", async () => {
    const u = await userWithIdentity("refund-fail", oneGeneration);
    const manual = h.stub.nextManual();
    const g = await (await post(u.key, u.identityId)).json();
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 0 } });
    m.send({ type: "error", data: { code: "inference_failed", message: "boom", retryable: false } });
    m.end();
    for (let i = 0; i < 500; i++) {
      if ((await (await h.fetch(`/v1/generations/${g.id}`, { key: u.key })).json()).status === "failed") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const next = h.stub.nextManual();
    expect((await post(u.key, u.identityId)).status).toBe(202);
    (await next).end();
  });
});

describe("generations in flight per key", () => {
  it("holds the default cap of 4 under 50 parallel POSTs, with 429 too_many_concurrent_generations", async () => {
    const u = await userWithIdentity("inflight-default", []);
    const before = h.stub.requests.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => post(u.key, u.identityId)));
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(4);
    expect(refused).toHaveLength(46);
    const problem = await refused[0]!.json();
    expect(problem.code).toBe("too_many_concurrent_generations");
    expect(problem.policy).toBe("inflight");
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(h.stub.requests.length - before).toBe(4);

    const manuals: ManualStream[] = [];
    for (let i = 0; i < 4; i++) manuals.push(await h.stub.nextManual());
    // One ends: its slot is free for the next POST, and only that one.
    const ids = await Promise.all(accepted.map(async (r) => (await r.json()).id as string));
    expect((await cancel(u.key, ids[0]!)).status).toBe(200);
    const next = h.stub.nextManual();
    expect((await post(u.key, u.identityId)).status).toBe(202);
    expect((await post(u.key, u.identityId)).status).toBe(429);
    manuals.push(await next);
    for (const m of manuals) m.end();
  });

  it("is configurable per key", async () => {
    const u = await userWithIdentity("inflight-one", ["--max-in-flight", "1"]);
    const manual = h.stub.nextManual();
    expect((await post(u.key, u.identityId)).status).toBe(202);
    expect((await post(u.key, u.identityId)).status).toBe(429);
    (await manual).end();
  });
});

describe("RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10)", () => {
  it("name the request, cost and in-flight policies, keeping the older fields", async () => {
    const u = await userWithIdentity("headers", ["--cost-burst", "100000", "--cost-per-minute", "60000"]);
    const manual = h.stub.nextManual();
    const res = await post(u.key, u.identityId);
    expect(res.status).toBe(202);
    expect(res.headers.get("ratelimit-policy")).toBe(
      '"requests";q=100000;w=60, "cost";q=100000;w=100, "inflight";q=4;qu="concurrent-requests"',
    );
    const items = res.headers.get("ratelimit")!.split(", ");
    expect(items.map((i) => i.split(";")[0])).toEqual(['"requests"', '"cost"', '"inflight"']);
    expect(items[1]).toMatch(/^"cost";r=87712;t=\d+$/);
    expect(items[2]).toMatch(/^"inflight";r=3;t=\d+$/);
    expect(res.headers.get("ratelimit-limit")).toBe("100000");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    (await manual).end();

    const get = await h.fetch(`/v1/generations/gen_nope`, { key: u.key });
    expect(get.headers.get("ratelimit")).toMatch(/^"requests";r=\d+;t=\d+$/);
  });

  it("a 429 on the request policy is problem+json naming it", async () => {
    const key = await h.createKey("burst", ["--requests-burst", "2", "--requests-per-minute", "1"]);
    await h.fetch("/v1/identities", { key });
    await h.fetch("/v1/identities", { key });
    const limited = await h.fetch("/v1/identities", { key });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(limited.headers.get("ratelimit")).toMatch(/^"requests";r=0;t=\d+$/);
    const body = await limited.json();
    expect(body).toMatchObject({ code: "rate_limited", policy: "requests" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
