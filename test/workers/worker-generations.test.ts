/**
 * The per-generation Durable Object on the Workers edge, against the stub runtime (its "manual"
 * mode: the test writes each runtime event): progress persisted and seen from new requests, every
 * subscriber fed the same events, cancel reaching the runtime as a closed connection, and the alarm
 * failing a generation whose runtime went silent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSseStream } from "../../shared/contract/sse.ts";
import { startStubRuntime, type StubRuntime } from "../functions/helpers/stub-runtime.ts";
import { sampleIdentity, startWorkerEdge, type WorkerEdge } from "./helpers/worker-edge.ts";

const IDENTITY = sampleIdentity("idt_workers0000000000001", "alice");

let stub: StubRuntime;
beforeAll(async () => {
  stub = await startStubRuntime();
  stub.behaviour = "manual";
});
afterAll(() => stub?.close());

async function startEdgeWithKey(vars: Record<string, string> = {}): Promise<{ edge: WorkerEdge; key: string }> {
  const edge = await startWorkerEdge({ runtimeUrl: stub.url, runtimeToken: stub.token, vars });
  await edge.insertIdentity(IDENTITY);
  return { edge, key: await edge.createKey("alice") };
}

async function createGeneration(edge: WorkerEdge, key: string, steps = 4): Promise<string> {
  const res = await edge.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identityId: IDENTITY.id, prompt: "p", width: 64, height: 64, steps }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Polls GET /v1/generations/{id} (each poll a new request) until `done` holds; the test's timeout bounds it. */
async function pollUntil(edge: WorkerEdge, key: string, id: string, done: (g: any) => boolean): Promise<any> {
  for (;;) {
    const g = await (await edge.fetch(`/v1/generations/${id}`, { key })).json();
    if (done(g)) return g;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function collect(res: Response): Promise<{ id: string; event: string }[]> {
  const out: { id: string; event: string }[] = [];
  for await (const m of readSseStream(res.body as ReadableStream<Uint8Array>)) out.push({ id: m.id ?? "", event: m.event });
  return out;
}

describe("generation Durable Object (default silence limit)", () => {
  let edge: WorkerEdge;
  let key: string;
  beforeAll(async () => ({ edge, key } = await startEdgeWithKey()), 240_000);
  afterAll(() => edge?.close());

  it("progress is seen from new requests; cancel closes the runtime's connection and is recorded", async () => {
    const manualNext = stub.nextManual();
    const id = await createGeneration(edge, key);
    const runtime = await manualNext;
    expect(runtime.request.requestId).toBe(id);
    runtime.send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    runtime.send({ type: "progress", data: { step: 1, total: 4 } });
    runtime.send({ type: "progress", data: { step: 2, total: 4 } });
    const running = await pollUntil(edge, key, id, (g) => g.progress?.step === 2);
    expect(running.status).toBe("running");

    const cancelled = await edge.fetch(`/v1/generations/${id}/cancel`, { method: "POST", key });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id, status: "cancelled" });
    await runtime.closed;
    expect(stub.disconnected).toContain(id);
    expect(await (await edge.fetch(`/v1/generations/${id}`, { key })).json()).toMatchObject({ status: "cancelled" });
  });

  it("fans the events out to every subscriber, with the same ids, to done", async () => {
    const manualNext = stub.nextManual();
    const id = await createGeneration(edge, key, 2);
    const runtime = await manualNext;
    runtime.send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    runtime.send({ type: "progress", data: { step: 1, total: 2 } });
    const open = () => edge.fetch(`/v1/generations/${id}/events`, { key, headers: { accept: "text/event-stream" } });
    const [a, b] = await Promise.all([open(), open()]);
    const [eventsA, eventsB] = [collect(a), collect(b)];
    runtime.send({ type: "progress", data: { step: 2, total: 2 } });
    runtime.send({ type: "done", data: { images: 0, elapsedMs: 1 } });
    runtime.end();
    const [ea, eb] = await Promise.all([eventsA, eventsB]);
    expect(ea).toEqual(eb);
    expect(ea.map((e) => e.event)).toEqual(expect.arrayContaining(["progress", "done"]));
    expect(ea.at(-1)?.event).toBe("done");
    const ids = ea.map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });
});

describe("generation Durable Object (short silence limit)", () => {
  let edge: WorkerEdge;
  let key: string;
  beforeAll(async () => ({ edge, key } = await startEdgeWithKey({ GENERATION_SILENCE_MS: "1500" })), 240_000);
  afterAll(() => edge?.close());

  it("an alarm fails a generation whose runtime went silent, and closes its connection", async () => {
    const manualNext = stub.nextManual();
    const id = await createGeneration(edge, key);
    const runtime = await manualNext;
    runtime.send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    const failed = await pollUntil(edge, key, id, (g) => g.status !== "queued" && g.status !== "running");
    expect(failed).toMatchObject({ status: "failed", error: { code: "runtime_disconnected" } });
    await runtime.closed;
  });
});
