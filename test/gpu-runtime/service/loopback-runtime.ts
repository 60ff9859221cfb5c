/** Test harness: the runtime over the tiny pack, served by @hono/node-server on 127.0.0.1 (a free port). */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { encodeEmbedding, parseRuntimeEvent, readSseStream, type RuntimeEvent, type RuntimeGenerateRequestInput } from "../../../shared/contract/index.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { startRuntime, type Runtime } from "../../../gpu-runtime/service/runtime.ts";
import type { RuntimeConfig } from "../../../gpu-runtime/service/runtime-config.ts";

export const TOKEN = "test-runtime-token-0123456789";

export interface LoopbackRuntime {
  readonly url: string;
  readonly runtime: Runtime;
  close(graceMs?: number): Promise<void>;
}

export async function startLoopbackRuntime(overrides: Partial<RuntimeConfig> = {}): Promise<LoopbackRuntime> {
  const packDir = await ensureTinyPack();
  const runtime = await startRuntime({
    packDir,
    token: TOKEN,
    providers: ["cpu"],
    threads: 1,
    workers: 1,
    queueCapacity: 8,
    maxBatchLanes: 4,
    batchWindowMs: 30,
    shutdownGraceMs: 5_000,
    promptCacheSize: 16,
    faceCacheSize: 16,
    ...overrides,
  });
  const server = serve({ fetch: runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    async close(graceMs = 0) {
      server.close();
      await runtime.close(graceMs);
    },
  };
}

/** A valid request for the tiny pack; fields can be overridden. */
export function tinyRequest(over: Partial<RuntimeGenerateRequestInput> = {}): RuntimeGenerateRequestInput {
  const embedding = new Float32Array(512).map((_, i) => Math.sin(i * 0.37) * 3);
  return {
    requestId: "req-1",
    embedding: encodeEmbedding(embedding),
    embeddingPack: "antelopev2",
    kps: [
      [20, 24],
      [44, 24],
      [32, 36],
      [22, 50],
      [42, 50],
    ],
    prompt: "a portrait of a person, studio light",
    negativePrompt: "",
    width: 64,
    height: 64,
    steps: 3,
    guidanceScale: 5,
    identityStrength: 0.8,
    adapterStrength: 0.8,
    seed: 7,
    scheduler: "euler",
    numImages: 1,
    outputFormat: "png",
    ...over,
  };
}

export function postGenerate(url: string, body: unknown, init: { token?: string | null; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(`${url}/v1/generate`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body), signal: init.signal });
}

/** Every event of a stream, each validated against the contract. */
export async function readEvents(res: Response): Promise<RuntimeEvent[]> {
  const events: RuntimeEvent[] = [];
  for await (const m of readSseStream(res.body!)) events.push(parseRuntimeEvent(m.event, m.data));
  return events;
}

export async function generate(url: string, body: unknown): Promise<RuntimeEvent[]> {
  const res = await postGenerate(url, body);
  if (res.status !== 200) throw new Error(`generate answered ${res.status}: ${await res.text()}`);
  return readEvents(res);
}

export async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Reads a stream's events a few at a time without closing it in between (a for-await `break` would). */
export class EventReader {
  private readonly it: AsyncIterator<RuntimeEvent>;
  readonly seen: RuntimeEvent[] = [];

  constructor(res: Response) {
    const body = res.body;
    if (!body) throw new Error("response has no body");
    this.it = (async function* () {
      for await (const m of readSseStream(body)) yield parseRuntimeEvent(m.event, m.data);
    })();
  }

  /** Reads up to and including the first event of `type`; throws if the stream ends first. */
  async until(type: RuntimeEvent["type"]): Promise<RuntimeEvent> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) throw new Error(`stream ended before a ${type} event (saw ${this.seen.map((e) => e.type).join(", ")})`);
      this.seen.push(r.value);
      if (r.value.type === type) return r.value;
    }
  }

  /** Reads to the end; returns the last event. */
  async end(): Promise<RuntimeEvent | undefined> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) return this.seen[this.seen.length - 1];
      this.seen.push(r.value);
    }
  }
}
