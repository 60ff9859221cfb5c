/**
 * Streams that survive a dropped connection, idempotent replays that answer the present, honest
 * queued status, Prefer: wait, and DELETE: the Node edge over real HTTP, with the stub runtime
 * in "manual" mode so the test decides when each runtime event is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readSseStream, type SseMessage } from "../../../shared/contract/sse.ts";
import { photoForm, readFace, startHarness, type Harness, type TestResponse } from "../helpers/edge-harness.ts";
import type { ManualStream } from "../helpers/stub-runtime.ts";

let h: Harness;
let key: string;
let otherKey: string;
let identityId: string;

beforeAll(async () => {
  h = await startHarness();
  // Polling loops make many requests: a generous request bucket.
  key = await h.createKey("stream-user", ["--requests-burst", "100000", "--requests-per-minute", "100000"]);
  otherKey = await h.createKey("someone-else");
  const identity = await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("astronaut.png")) })).json();
  identityId = identity.id;
});
afterAll(() => h?.close());
beforeEach(() => {
  h.stub.behaviour = "manual";
});

const small = { width: 64, height: 64, steps: 3 };
const TINY_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function post(body: Record<string, unknown>, headers: Record<string, string> = {}, k = key) {
  return h.fetch("/v1/generations", {
    method: "POST",
    key: k,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ identityId, prompt: "a portrait", ...small, ...body }),
  });
}

/** Reads messages one at a time from an SSE response; stop() drops the connection. */
function reader(res: TestResponse) {
  const it = readSseStream(res.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
  return {
    async next(): Promise<SseMessage> {
      const r = await it.next();
      if (r.done) throw new Error("stream ended");
      return r.value;
    },
    async rest(): Promise<SseMessage[]> {
      const out: SseMessage[] = [];
      for (;;) {
        const r = await it.next();
        if (r.done) return out;
        out.push(r.value);
      }
    },
    stop: () => it.return?.(undefined),
  };
}

async function finishRun(m: ManualStream, from: number, steps = 3) {
  for (let step = from; step <= steps; step++) m.send({ type: "progress", data: { step, total: steps } });
  m.send({ type: "image", data: { index: 0, mimeType: "image/png", width: 1, height: 1, seed: 7, data: TINY_PNG } });
  m.send({ type: "done", data: { images: 1, elapsedMs: 1 } });
  m.end();
}

async function pollUntil(id: string, pred: (g: any) => boolean): Promise<any> {
  for (let i = 0; i < 500; i++) {
    const g = await (await h.fetch(`/v1/generations/${id}`, { key })).json();
    if (pred(g)) return g;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("SSE ids and Last-Event-ID", () => {
  it("a stream cut after two events and resumed with Last-Event-ID delivers every later event once", async () => {
    const manual = h.stub.nextManual();
    const res = await post({}, { accept: "text/event-stream" });
    expect(res.status).toBe(200);
    const id = res.headers.get("location")!.split("/").pop()!;
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    m.send({ type: "progress", data: { step: 1, total: 3 } });

    const first = reader(res);
    const seen = [await first.next(), await first.next()];
    expect(seen.map((e) => e.event)).toEqual(["queued", "progress"]);
    await first.stop();

    const resumed = await h.fetch(`/v1/generations/${id}/events`, { key, headers: { "last-event-id": seen[1].id! } });
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get("content-type")).toContain("text/event-stream");
    const second = reader(resumed);
    await finishRun(m, 2);
    const later = await second.rest();
    if (later.at(-1)?.event === "error") throw new Error(later.at(-1)!.data);
    expect(later.map((e) => e.event)).toEqual(["progress", "progress", "image", "done"]);
    expect(later.slice(0, 2).map((e) => JSON.parse(e.data).step)).toEqual([2, 3]);
    const ids = [...seen, ...later].map((e) => Number(e.id));
    // Every event has an id, strictly increasing across both connections: nothing seen twice.
    ids.forEach((x, i) => i > 0 && expect(x).toBeGreaterThan(ids[i - 1]));
    expect(JSON.parse(later.at(-1)!.data).status).toBe("succeeded");
  });

  it("a runtime that sends before the edge answered the POST: the creating stream still carries every event, in order", async () => {
    const manual = h.stub.nextManual();
    const pending = post({}, { accept: "text/event-stream" });
    const m = await manual;
    // Sent as soon as the runtime has the request, before the edge has answered the POST (and so
    // before the creating request subscribed to the generation).
    m.send({ type: "accepted", data: { requestId: m.request.requestId!, queuePosition: 0 } });
    m.send({ type: "progress", data: { step: 1, total: 3 } });
    m.send({ type: "progress", data: { step: 2, total: 3 } });
    const res = await pending;
    expect(res.status).toBe(200);
    await finishRun(m, 3);
    const events = await reader(res).rest();
    expect(events.map((e) => e.event)).toEqual(["queued", "progress", "progress", "progress", "image", "done"]);
    expect(events.filter((e) => e.event === "progress").map((e) => JSON.parse(e.data).step)).toEqual([1, 2, 3]);
    const ids = events.map((e) => Number(e.id));
    ids.forEach((x, i) => i > 0 && expect(x).toBeGreaterThan(ids[i - 1]));
  });

  it("a runtime that finishes the whole generation before the edge answered the POST: the creating stream still carries every event", async () => {
    const manual = h.stub.nextManual();
    const pending = post({}, { accept: "text/event-stream" });
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: m.request.requestId!, queuePosition: 0 } });
    await finishRun(m, 1);
    const res = await pending;
    expect(res.status).toBe(200);
    const events = await reader(res).rest();
    expect(events.map((e) => e.event)).toEqual(["queued", "progress", "progress", "progress", "image", "done"]);
  });

  it("a finished generation replays the latest progress, every image and the final event, then closes", async () => {
    const manual = h.stub.nextManual();
    const res = await post({}, { accept: "text/event-stream" });
    const id = res.headers.get("location")!.split("/").pop()!;
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    await finishRun(m, 1);
    const live = await reader(res).rest();
    expect(live.map((e) => e.event)).toEqual(["queued", "progress", "progress", "progress", "image", "done"]);

    const all = await reader(await h.fetch(`/v1/generations/${id}/events`, { key })).rest();
    expect(all.map((e) => e.event)).toEqual(["progress", "image", "done"]);
    // Replayed events carry the ids the live stream gave them, and the same image bytes.
    for (const e of all) expect(live.find((l) => l.id === e.id)?.event).toBe(e.event);
    expect(JSON.parse(all[1].data).data).toBe(JSON.parse(live[4].data).data);

    const afterImage = await reader(await h.fetch(`/v1/generations/${id}/events`, { key, headers: { "last-event-id": live[4].id! } })).rest();
    expect(afterImage.map((e) => e.event)).toEqual(["done"]);
    const byQuery = await reader(await h.fetch(`/v1/generations/${id}/events?lastEventId=${live[4].id}`, { key })).rest();
    expect(byQuery.map((e) => e.event)).toEqual(["done"]);
    const afterDone = await reader(await h.fetch(`/v1/generations/${id}/events`, { key, headers: { "last-event-id": live[5].id! } })).rest();
    expect(afterDone).toEqual([]);
    expect((await h.fetch(`/v1/generations/${id}/events`, { key: otherKey })).status).toBe(404);
  });
});

describe("idempotent replays answer the generation as it is now", () => {
  it("JSON replay after success says succeeded; a replay asking for a stream attaches to it", async () => {
    const manual = h.stub.nextManual();
    const idem = { "idempotency-key": `k-${Math.random()}` };
    const created = await post({}, idem);
    expect(created.status).toBe(202);
    const g = await created.json();
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 0 } });
    m.send({ type: "progress", data: { step: 1, total: 3 } });

    const attached = await post({}, { ...idem, accept: "text/event-stream" });
    expect(attached.status).toBe(200);
    expect(attached.headers.get("idempotent-replayed")).toBe("true");
    expect(attached.headers.get("location")).toBe(`/v1/generations/${g.id}`);
    const stream = reader(attached);
    expect((await stream.next()).event).toBe("queued");
    expect((await stream.next()).event).toBe("progress");
    await finishRun(m, 2);
    expect((await stream.rest()).at(-1)!.event).toBe("done");

    const replay = await post({}, idem);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const now = await replay.json();
    expect(now.id).toBe(g.id);
    expect(now.status).toBe("succeeded");
    expect(now.images).toHaveLength(1);
    expect(h.stub.requests.filter((r) => r.requestId === g.id)).toHaveLength(1);

    // The POST's stream honours Last-Event-ID too: a replay resumes after the last event seen.
    const all = await reader(await post({}, { ...idem, accept: "text/event-stream" })).rest();
    const image = all.find((e) => e.event === "image")!;
    const resumed = await reader(await post({}, { ...idem, accept: "text/event-stream", "last-event-id": image.id! })).rest();
    expect(resumed.map((e) => e.event)).toEqual(["done"]);
  });
});

describe("honest status", () => {
  it("is queued with its position while the runtime queue holds it, running once it starts", async () => {
    const manual = h.stub.nextManual();
    const g = await (await post({})).json();
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 12 } });
    const queued = await pollUntil(g.id, (x) => x.queuePosition === 12);
    expect(queued.status).toBe("queued");
    m.send({ type: "queued", data: { queuePosition: 3 } });
    expect((await pollUntil(g.id, (x) => x.queuePosition === 3)).status).toBe("queued");
    m.send({ type: "started", data: {} });
    const running = await pollUntil(g.id, (x) => x.status === "running");
    expect(running.queuePosition).toBeNull();
    expect(running.progress.step).toBe(0);
    await finishRun(m, 1);
    expect((await pollUntil(g.id, (x) => x.status === "succeeded")).queuePosition).toBeNull();
  });
});

describe("Prefer: wait", () => {
  it("answers 201 with the finished generation when it ends in time", async () => {
    h.stub.behaviour = "complete";
    const res = await post({}, { prefer: "wait=30" });
    expect(res.status).toBe(201);
    expect(res.headers.get("preference-applied")).toBe("wait=30");
    const g = await res.json();
    expect(g.status).toBe("succeeded");
    expect(g.images).toHaveLength(1);
  });

  it("answers 202 as without it when the generation is not done", async () => {
    const manual = h.stub.nextManual();
    const res = await post({}, { prefer: "wait=1" });
    expect(res.status).toBe(202);
    const g = await res.json();
    expect(["queued", "running"]).toContain(g.status);
    const m = await manual;
    await finishRun(m, 1);
  });
});

describe("DELETE /v1/generations/{id}", () => {
  it("removes the record and its images; another user's id is a 404", async () => {
    h.stub.behaviour = "complete";
    const g = await (await post({}, { prefer: "wait=30" })).json();
    expect(g.status).toBe("succeeded");
    expect((await h.fetch(g.images[0].url, { key })).status).toBe(200);
    expect((await h.fetch(`/v1/generations/${g.id}`, { method: "DELETE", key: otherKey })).status).toBe(404);
    const del = await h.fetch(`/v1/generations/${g.id}`, { method: "DELETE", key });
    expect(del.status).toBe(204);
    expect((await h.fetch(`/v1/generations/${g.id}`, { key })).status).toBe(404);
    expect((await h.fetch(g.images[0].url, { key })).status).toBe(404);
    expect((await h.fetch(`/v1/generations/${g.id}`, { method: "DELETE", key })).status).toBe(404);
  });

  it("cancels a running generation first (the runtime sees its request close)", async () => {
    const manual = h.stub.nextManual();
    const g = await (await post({})).json();
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 0 } });
    expect((await h.fetch(`/v1/generations/${g.id}`, { method: "DELETE", key })).status).toBe(204);
    await m.closed;
    expect((await h.fetch(`/v1/generations/${g.id}`, { key })).status).toBe(404);
  });
});
