/**
 * The typed client against a real Node edge on loopback: its generated types match the document
 * the edge serves, a retried POST reuses its Idempotency-Key (one generation), 429s are retried
 * after Retry-After, and a cut event stream resumes with Last-Event-ID, each event once.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_TYPES_PATH, generateClientTypes } from "../../../functions/adapters/node/openapi-client-types.ts";
import { EdgeApiError, EdgeClient, type GenerationStreamEvent } from "../../../shared/client/edge-client.ts";
import { readFace, startHarness, type Harness } from "../../functions/helpers/edge-harness.ts";

let h: Harness;
let key: string;
let identityId: string;
const BIG = ["--requests-burst", "100000", "--requests-per-minute", "100000"];
const noSleep = async () => undefined;

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("client-user", BIG);
  const client = new EdgeClient({ baseUrl: h.url, apiKey: key });
  identityId = (await client.createIdentity([await readFace("astronaut.png")])).id;
});
afterAll(() => h?.close());

describe("generated types", () => {
  it("shared/client/api-types.ts is what openapi-typescript makes of /openapi.json now (run npm run client:types)", async () => {
    const served = await (await h.fetch("/openapi.json")).json();
    expect(served.paths).toHaveProperty("/v1/generations/{id}/events");
    expect(await readFile(CLIENT_TYPES_PATH, "utf8")).toBe(await generateClientTypes());
  });
});

describe("EdgeClient", () => {
  it("creates, waits for and fetches a generation", async () => {
    h.stub.behaviour = "complete";
    const client = new EdgeClient({ baseUrl: h.url, apiKey: key });
    const g = await client.createGeneration({ identityId, prompt: "p", width: 64, height: 64, steps: 2 }, { waitSeconds: 30 });
    expect(g.status).toBe("succeeded");
    expect((await client.imageBytes(g.images[0]!.url)).length).toBeGreaterThan(0);
    await client.deleteGeneration(g.id);
    await expect(client.getGeneration(g.id)).rejects.toMatchObject({ status: 404, code: "generation_not_found" });
  });

  it("lists identities and generations page by page with the cursor", async () => {
    h.stub.behaviour = "complete";
    const client = new EdgeClient({ baseUrl: h.url, apiKey: await h.createKey("client-lists", BIG) });
    const identity = await client.createIdentity([await readFace("astronaut.png")]);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await client.createGeneration({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 }, { waitSeconds: 30 }));
    expect((await client.listIdentities()).data.map((i) => i.id)).toEqual([identity.id]);
    const first = await client.listGenerations({ identityId: identity.id, limit: 2 });
    expect(first.data).toHaveLength(2);
    const second = await client.listGenerations({ identityId: identity.id, limit: 2, cursor: first.nextCursor! });
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.data, ...second.data].map((g) => g.id))).toEqual(new Set(made.map((g) => g.id)));
    expect((await client.listGenerations({ status: "failed" })).data).toEqual([]);
    await expect(client.listGenerations({ limit: 0 })).rejects.toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("a POST whose answer was lost is retried with the same Idempotency-Key: one generation", async () => {
    h.stub.behaviour = "complete";
    const before = h.stub.requests.length;
    const keys: string[] = [];
    let dropped = false;
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === "POST") keys.push(new Headers(init.headers).get("idempotency-key")!);
      if (init?.method === "POST" && !dropped) {
        dropped = true;
        await res.body?.cancel();
        throw new TypeError("network connection lost");
      }
      return res;
    };
    const client = new EdgeClient({ baseUrl: h.url, apiKey: key, fetch: flaky, sleep: noSleep });
    const g = await client.createGeneration({ identityId, prompt: "p", width: 64, height: 64, steps: 1 });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(h.stub.requests.length - before).toBe(1);
    expect(h.stub.requests[before]!.requestId).toBe(g.id);
  });

  it("waits Retry-After on 429 and gives up with the problem after its retries", async () => {
    const limited = await h.createKey("client-limited", ["--requests-burst", "1", "--requests-per-minute", "1"]);
    const waits: number[] = [];
    const client = new EdgeClient({ baseUrl: h.url, apiKey: limited, maxRetries: 2, sleep: async (ms) => void waits.push(ms) });
    await client.getGeneration("gen_nope").catch(() => undefined);
    const err = await client.getGeneration("gen_nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeApiError);
    expect((err as EdgeApiError).code).toBe("rate_limited");
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
  });

  it("resumes a stream cut after two events with Last-Event-ID: every event once, ids increasing", async () => {
    h.stub.behaviour = "manual";
    const setup = new EdgeClient({ baseUrl: h.url, apiKey: key });
    const manual = h.stub.nextManual();
    const g = await setup.createGeneration({ identityId, prompt: "p", width: 64, height: 64, steps: 3 });
    const m = await manual;
    m.send({ type: "accepted", data: { requestId: g.id, queuePosition: 0 } });
    m.send({ type: "progress", data: { step: 1, total: 3 } });

    const requests: (string | null)[] = [];
    let cut = false;
    /** Ends the first event stream after two messages, as a dropped mobile connection would. */
    const cutting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith("/events")) return res;
      requests.push(new Headers(init?.headers).get("last-event-id"));
      if (cut) return res;
      cut = true;
      const reader = res.body!.getReader();
      let text = "";
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          text += new TextDecoder().decode(value);
          controller.enqueue(value);
          if (text.split("\n\n").length > 2) {
            await reader.cancel();
            controller.close();
            // The rest happens while the client is away.
            m.send({ type: "progress", data: { step: 2, total: 3 } });
          }
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const client = new EdgeClient({ baseUrl: h.url, apiKey: key, fetch: cutting, sleep: noSleep });
    const events: GenerationStreamEvent[] = [];
    for await (const e of client.events(g.id)) {
      events.push(e);
      if (events.length === 3) {
        m.send({ type: "progress", data: { step: 3, total: 3 } });
        m.send({ type: "image", data: { index: 0, mimeType: "image/png", width: 1, height: 1, seed: 1, data: "iVBORw0KGgo=" } });
        m.send({ type: "done", data: { images: 1, elapsedMs: 1 } });
        m.end();
      }
    }
    expect(requests).toEqual([null, events[1]!.id]);
    expect(events.map((e) => e.event)).toEqual(["queued", "progress", "progress", "progress", "image", "done"]);
    const ids = events.map((e) => Number(e.id));
    ids.forEach((x, i) => i > 0 && expect(x).toBeGreaterThan(ids[i - 1]!));
    h.stub.behaviour = "complete";
  });
});
