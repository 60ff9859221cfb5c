import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness, type TestResponse } from "../helpers/edge-harness.ts";

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("user-auth");
});
afterAll(() => h?.close());

async function expect401(res: TestResponse) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect((await res.json()).code).toBe("unauthorized");
}

describe("API key auth", () => {
  it("answers 401 problem+json without a key, with a malformed key and with a wrong secret", async () => {
    await expect401(await h.fetch("/v1/identities/idn_x"));
    await expect401(await h.fetch("/v1/identities/idn_x", { headers: { authorization: "Basic abc" } }));
    await expect401(await h.fetch("/v1/identities/idn_x", { key: "not-a-key" }));
    // Right key id, wrong secret: the hash comparison fails.
    const wrong = key.slice(0, -4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect401(await h.fetch("/v1/identities/idn_x", { key: wrong }));
    await expect401(await h.fetch("/v1/generations", { method: "POST", body: "{}" }));
  });

  it("lets a valid key through", async () => {
    const res = await h.fetch("/v1/identities/idn_x", { key });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe("identity_not_found");
  });

  it("stores only a hash of the key", async () => {
    const rows = await h.queryRows("SELECT * FROM api_keys");
    const keyId = key.split("_")[1];
    // The key's row is there (read from the edge's own database: SQLite file or D1)...
    expect(JSON.stringify(rows)).toContain(keyId);
    // ...without its secret.
    expect(JSON.stringify(rows)).not.toContain(key.split("_").slice(2).join("_"));
  });

  it("a key revoked with the CLI while the server runs is refused at once", async () => {
    const k = await h.createKey("user-revoke");
    expect((await h.fetch("/v1/identities/idn_x", { key: k })).status).toBe(404);
    const keyId = k.split("_")[1];
    expect(await h.keysCli(["revoke", keyId])).toEqual([`revoked ${keyId}`]);
    await expect401(await h.fetch("/v1/identities/idn_x", { key: k }));
  });

  it("leaves /healthz, /openapi.json and /docs open", async () => {
    expect((await h.fetch("/healthz")).status).toBe(200);
    expect((await h.fetch("/openapi.json")).status).toBe(200);
    expect((await h.fetch("/docs")).status).toBe(200);
  });

  it("answers unknown paths with a problem 404", async () => {
    const res = await h.fetch("/nope");
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe("not_found");
  });
});
