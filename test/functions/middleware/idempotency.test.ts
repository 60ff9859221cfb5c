import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { photoForm, readEvents, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
let key: string;
let identityId: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("user-idem");
  identityId = (await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })).json()).id;
});
afterAll(() => h?.close());
beforeEach(() => {
  h.stub.behaviour = "complete";
});

const post = (body: unknown, idemKey: string | undefined, extra: Record<string, string> = {}) =>
  h.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: {
      "content-type": "application/json",
      ...(idemKey !== undefined ? { "idempotency-key": idemKey } : {}),
      ...extra,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("Idempotency-Key on POST /v1/generations", () => {
  it("same key and same body: the same response, and the runtime is asked once", async () => {
    const body = { identityId, prompt: "p", width: 64, height: 64, steps: 2, seed: 7 };
    const before = h.stub.requests.length;
    const first = await post(body, "gen-key-1");
    expect(first.status).toBe(202);
    const firstBody = await first.json();
    // Key order and whitespace do not make it another request.
    const reordered = `{ "seed": 7, "steps": 2, "height": 64, "width": 64, "prompt": "p", "identityId": "${identityId}" }`;
    const second = await post(reordered, "gen-key-1");
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    // The same generation, as it is now (not the snapshot taken at creation).
    const now = await second.json();
    expect(now.id).toBe(firstBody.id);
    expect(now.settings).toEqual(firstBody.settings);
    expect(h.stub.requests.length).toBe(before + 1);
  });

  it("same key with a different body is a 422", async () => {
    const body = { identityId, prompt: "p", width: 64, height: 64, steps: 2 };
    expect((await post(body, "gen-key-2")).status).toBe(202);
    const res = await post({ ...body, prompt: "q" }, "gen-key-2");
    expect(res.status).toBe(422);
    expect((await res.json()).code).toBe("idempotency_key_reused");
  });

  it("an SSE request replays as the stream of the generation it created; a JSON replay as the generation now", async () => {
    const body = { identityId, prompt: "sse", width: 64, height: 64, steps: 1 };
    const first = await post(body, "gen-key-3", { accept: "text/event-stream" });
    const events = await readEvents(first);
    const id = events[0].data.id;
    const replay = await post(body, "gen-key-3", { accept: "text/event-stream" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("content-type")).toContain("text/event-stream");
    const replayed = await readEvents(replay);
    expect(replayed.at(-1)).toMatchObject({ event: "done", data: { id, status: "succeeded" } });
    const json = await post(body, "gen-key-3");
    expect(json.status).toBe(202);
    expect(await json.json()).toMatchObject({ id, status: "succeeded" });
  });

  it("a request that failed on the server side can be retried with its key", async () => {
    const body = { identityId, prompt: "busy", width: 64, height: 64, steps: 1 };
    h.stub.behaviour = "busy";
    expect((await post(body, "gen-key-4")).status).toBe(503);
    h.stub.behaviour = "complete";
    expect((await post(body, "gen-key-4")).status).toBe(202);
  });

  it("keys are per user and validated", async () => {
    const other = await h.createKey("user-idem-2");
    const res = await h.fetch("/v1/generations", {
      method: "POST",
      key: other,
      headers: { "content-type": "application/json", "idempotency-key": "gen-key-1" },
      body: JSON.stringify({ identityId, prompt: "p", width: 64, height: 64, steps: 2, seed: 7 }),
    });
    // Not a replay of user-idem's response: the identity is not this user's.
    expect(res.status).toBe(404);
    const bad = await post({ identityId, prompt: "p" }, "x".repeat(256));
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe("invalid_idempotency_key");
  });
});

describe("Idempotency-Key on POST /v1/identities", () => {
  it("replays the first response; a different photo with the key is a 422", async () => {
    const photo = await readFace("sample4.jpg");
    const first = await h.fetch("/v1/identities", {
      method: "POST",
      key,
      headers: { "idempotency-key": "idn-key-1" },
      body: photoForm(photo),
    });
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    // A new multipart body (new boundary) with the same photo is the same request.
    const again = await h.fetch("/v1/identities", {
      method: "POST",
      key,
      headers: { "idempotency-key": "idn-key-1" },
      body: photoForm(photo),
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(firstBody);
    const other = await h.fetch("/v1/identities", {
      method: "POST",
      key,
      headers: { "idempotency-key": "idn-key-1" },
      body: photoForm(await readFace("camera.png")),
    });
    expect(other.status).toBe(422);
    expect((await other.json()).code).toBe("idempotency_key_reused");
  });
});
