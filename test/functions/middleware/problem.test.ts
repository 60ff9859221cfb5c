/**
 * Problems the edge answers outside its routes' own logic: oversized headers (431), a known path
 * with an unknown method (405), and server-side failures that must not leak internals.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBLEM_CONTENT_TYPE } from "../../../shared/contract/problem.ts";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("user-problems");
});
afterAll(() => h?.close());

/** Raw request (fetch refuses some of these): status, headers, body. */
function rawRequest(path: string, headers: Record<string, string>, method = "GET") {
  const url = new URL(h.url);
  return new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, contentType: res.headers["content-type"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("problem+json outside the routes", () => {
  // Node's HTTP server refuses them before the app; on Workers the platform does (workerd locally lets 64 KB through).
  it.skipIf(process.env.EDGE_UNDER_TEST === "workers")("answers oversized headers with 431 problem+json", async () => {
    const res = await rawRequest("/healthz", { "x-big": "a".repeat(64 * 1024) });
    expect(res.status).toBe(431);
    expect(res.contentType).toBe(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, code: "headers_too_large" });
  });

  it("answers an unknown method on a known path with 405, Allow and problem+json", async () => {
    const put = await h.fetch("/v1/identities/idn_anything", { method: "PUT", key });
    expect(put.status).toBe(405);
    expect(put.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(put.headers.get("allow")).toBe("DELETE, GET, HEAD");
    expect(await put.json()).toMatchObject({ status: 405, code: "method_not_allowed" });
    const health = await h.fetch("/healthz", { method: "DELETE" });
    expect(health.status).toBe(405);
    expect(health.headers.get("allow")).toContain("GET");
    // An unknown path stays 404.
    const missing = await h.fetch("/v1/nothing-here", { method: "PUT", key });
    expect(missing.status).toBe(404);
  });
});

describe("no internal detail in answers", () => {
  it("a runtime that cannot be reached is 503 runtime_unavailable without addresses or errno codes, in the answer and in the record", async () => {
    const identity = await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })).json();
    await h.stub.close();
    const body = JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 });
    const headers = { "content-type": "application/json" };
    const streamed = await h.fetch("/v1/generations", { method: "POST", key, headers: { ...headers, accept: "text/event-stream" }, body });
    const polled = await h.fetch("/v1/generations", { method: "POST", key, headers, body });
    // Retryable, with Retry-After: the runtime may be restarting (npm start supervises it).
    for (const res of [streamed, polled].filter((r) => r.status === 503)) expect(res.headers.get("retry-after")).toBe("5");
    const texts = [await streamed.text(), await polled.text()];
    for (const t of texts.filter((t) => t.includes('"status":503'))) expect(JSON.parse(t)).toMatchObject({ code: "runtime_unavailable", retryable: true });
    if (polled.status === 202) {
      const self = JSON.parse(texts[1]!).links.self as string;
      for (let i = 0; i < 200; i++) {
        const g = await (await h.fetch(self, { key })).text();
        if (/"status":"(failed|succeeded)"/.test(g)) {
          texts.push(g);
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(texts).toHaveLength(3);
    }
    for (const text of texts) {
      expect(text).toMatch(/runtime_unavailable/);
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|::1|errno|at .*\.ts/);
    }
  });
});
