/**
 * The runtime as the edge sees it: started on loopback over the tiny pack, spoken to over HTTP.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBase64, PROBLEM_CONTENT_TYPE, type RuntimeEvent } from "../../../shared/contract/index.ts";
import { EventReader, generate, postGenerate, startLoopbackRuntime, tinyRequest, TOKEN, waitFor, type LoopbackRuntime } from "./loopback-runtime.ts";

type EventOf<T extends RuntimeEvent["type"]> = Extract<RuntimeEvent, { type: T }>;
const ofType = <T extends RuntimeEvent["type"]>(events: RuntimeEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

describe("GPU runtime on loopback (tiny pack)", () => {
  let rt: LoopbackRuntime;
  beforeAll(async () => {
    rt = await startLoopbackRuntime({ queueCapacity: 2 });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it("streams accepted, one progress per step, previews, images of the requested size, then done", async () => {
    const evs = await generate(rt.url, tinyRequest({ width: 96, height: 64, steps: 3, numImages: 2, outputFormat: "webp", seed: 11, preview: { everySteps: 1, maxSide: 32 } }));
    expect(evs[0]).toEqual({ type: "accepted", data: { requestId: "req-1", queuePosition: 0 } });
    expect(ofType(evs, "progress").map((e) => e.data)).toEqual([1, 2, 3].map((step) => ({ step, total: 3 })));
    const previews = ofType(evs, "preview");
    expect(previews.map((p) => p.data.step)).toEqual([1, 2]);
    for (const p of previews) {
      const meta = await sharp(decodeBase64(p.data.data)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", p.data.width, p.data.height]);
      expect(Math.max(p.data.width, p.data.height)).toBe(32);
    }
    const images = ofType(evs, "image");
    expect(images.map((i) => [i.data.index, i.data.seed, i.data.mimeType])).toEqual([
      [0, 11, "image/webp"],
      [1, 12, "image/webp"],
    ]);
    for (const img of images) {
      const meta = await sharp(decodeBase64(img.data.data)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", 96, 64]);
    }
    expect(images[0]!.data.data).not.toBe(images[1]!.data.data);
    const last = evs[evs.length - 1]!;
    expect(last.type).toBe("done");
    expect((last as EventOf<"done">).data.images).toBe(2);
  });

  it("gives identical bytes for the same request and seed, and other bytes for another seed", async () => {
    const body = tinyRequest({ seed: 1234, outputFormat: "png", style: "Watercolor", negativePrompt: "blurry" });
    const a = ofType(await generate(rt.url, body), "image")[0]!.data.data;
    const b = ofType(await generate(rt.url, body), "image")[0]!.data.data;
    const c = ofType(await generate(rt.url, { ...body, seed: 1235 }), "image")[0]!.data.data;
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("batches requests of the same shape that arrive together, with the images they would get alone", async () => {
    const body = (seed: number) => tinyRequest({ seed, steps: 2 });
    // Alone: one after the other, so they can never share a batch.
    const alone: string[] = [];
    for (const seed of [1, 2]) alone.push(ofType(await generate(rt.url, body(seed)), "image")[0]!.data.data);
    // Together: a runtime whose batch holds exactly two lanes and whose gather window outlasts any
    // load, so the first request waits for the second (a full batch starts at once): no 30 ms race.
    const pair = await startLoopbackRuntime({ maxBatchLanes: 2, batchWindowMs: 600_000 });
    let together: RuntimeEvent[][];
    try {
      const lanes = pair.runtime.metrics.batchLanes;
      together = await Promise.all([generate(pair.url, body(1)), generate(pair.url, body(2))]);
      // Two steps, each one batch call holding both requests.
      expect([lanes.observations, lanes.total]).toEqual([2, 4]);
    } finally {
      await pair.close();
    }
    for (const [k, evs] of together.entries()) {
      const got = await sharp(decodeBase64(ofType(evs, "image")[0]!.data.data)).raw().toBuffer();
      const want = await sharp(decodeBase64(alone[k]!)).raw().toBuffer();
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1);
    }
  });

  it("cancels a request whose client disconnects at the next step and frees its slot", async () => {
    const steps = 100;
    const stepsBefore = rt.runtime.metrics.stepSeconds.observations;
    const abort = new AbortController();
    const res = await postGenerate(rt.url, tinyRequest({ steps }), { signal: abort.signal });
    await new EventReader(res).until("progress");
    abort.abort();
    await waitFor(() => rt.runtime.queue.stats.running === 0);
    expect(rt.runtime.metrics.cancelled.value({ reason: "client_gone" })).toBe(1);
    expect(rt.runtime.metrics.stepSeconds.observations - stepsBefore).toBeLessThan(steps / 2);
    const next = await generate(rt.url, tinyRequest({ steps: 1 }));
    expect(next[0]).toEqual({ type: "accepted", data: { requestId: "req-1", queuePosition: 0 } });
    expect(next[next.length - 1]!.type).toBe("done");
  });

  it("answers 503 with Retry-After when the queue is full", async () => {
    const aborts: AbortController[] = [];
    const start = async (steps: number) => {
      const abort = new AbortController();
      aborts.push(abort);
      return postGenerate(rt.url, tinyRequest({ steps }), { signal: abort.signal });
    };
    try {
      await new EventReader(await start(100)).until("progress");
      const waiting = [await start(90), await start(90)];
      expect(waiting.map((r) => r.status)).toEqual([200, 200]);
      await waitFor(() => rt.runtime.queue.stats.waiting === 2);
      const full = await postGenerate(rt.url, tinyRequest({ steps: 1 }));
      expect(full.status).toBe(503);
      expect(full.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
      expect(Number(full.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await full.json()).toMatchObject({ status: 503, code: "queue_full" });
    } finally {
      for (const a of aborts) a.abort();
    }
    await waitFor(() => rt.runtime.queue.stats.running === 0 && rt.runtime.queue.stats.waiting === 0);
  });

  it("answers 401 without the bearer token, or with a wrong one", async () => {
    for (const token of [null, "wrong-token-wrong-token", `${TOKEN}x`]) {
      const res = await postGenerate(rt.url, tinyRequest(), { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await res.json()).toMatchObject({ status: 401, code: "unauthorized" });
    }
    const basic = await fetch(`${rt.url}/v1/generate`, { method: "POST", headers: { authorization: `Basic ${TOKEN}` }, body: "{}" });
    expect(basic.status).toBe(401);
  });

  const invalid: [string, Record<string, unknown>][] = [
    ["embedding", { embedding: "not base64!" }],
    ["embedding", { embedding: Buffer.alloc(100).toString("base64") }],
    ["embeddingPack", { embeddingPack: "buffalo_l" }],
    ["kps", { kps: [[1, 2]] }],
    ["kps.0.0", { kps: [["a", 2], [1, 2], [1, 2], [1, 2], [1, 2]] }],
    ["kps", { kps: [[1e9, 2], [1, 2], [1, 2], [1, 2], [1, 2]] }],
    ["prompt", { prompt: "x".repeat(2001) }],
    ["prompt", { prompt: 42 }],
    ["negativePrompt", { negativePrompt: ["no"] }],
    ["style", { style: "Cubism" }],
    ["width", { width: 65 }],
    ["width", { width: 4096 }],
    ["height", { height: 0 }],
    ["width", { width: 2048, height: 2048 }],
    ["steps", { steps: 0 }],
    ["steps", { steps: 101 }],
    ["steps", { steps: 2.5 }],
    ["guidanceScale", { guidanceScale: -1 }],
    ["identityStrength", { identityStrength: 2 }],
    ["adapterStrength", { adapterStrength: -0.1 }],
    ["seed", { seed: -1 }],
    ["seed", { seed: 2 ** 32 }],
    ["scheduler", { scheduler: "heun" }],
    ["numImages", { numImages: 5 }],
    ["outputFormat", { outputFormat: "gif" }],
    ["preview.everySteps", { preview: { everySteps: 0, maxSide: 64 } }],
    ["preview.maxSide", { preview: { everySteps: 1, maxSide: 4096 } }],
    ["requestId", { requestId: "" }],
    ["", { colour: "blue" }],
  ];
  it.each(invalid)("answers 400 with a problem naming the invalid field %s", async (path, over) => {
    const res = await postGenerate(rt.url, { ...tinyRequest(), ...over });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    const body = (await res.json()) as { status: number; code: string; errors: { path: string; message: string }[] };
    expect(body).toMatchObject({ status: 400, code: "invalid_request" });
    expect(body.errors.map((e) => e.path)).toContain(path);
  });

  it("answers 400 for a missing field, a body that is not JSON, and fast mode on a pack without LCM", async () => {
    const { steps: _, ...noSteps } = tinyRequest();
    void _;
    const missing = await postGenerate(rt.url, noSteps);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain("steps");

    const notJson = await postGenerate(rt.url, "{not json");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: "invalid_request" });

    const lcm = await postGenerate(rt.url, tinyRequest({ scheduler: "lcm", steps: 4, guidanceScale: 1.5 }));
    expect(lcm.status).toBe(400);
    expect(await lcm.json()).toMatchObject({ code: "scheduler_unavailable", errors: [{ path: "scheduler" }] });
  });

  it("serves /healthz and Prometheus /metrics", async () => {
    const health = await fetch(`${rt.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", pack: "tiny", providers: { unet: "cpu" }, queue: { waiting: 0, running: 0 } });
    const metrics = await fetch(`${rt.url}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toMatch(/^instantid_queue_depth 0$/m);
    expect(text).toMatch(/^instantid_step_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^instantid_images_total [1-9]\d*$/m);
    expect(text).toMatch(/^instantid_errors_total\{code="unauthorized"\} [1-9]\d*$/m);
    expect(text).toMatch(/^instantid_errors_total\{code="queue_full"\} 1$/m);
  });
});

describe("GPU runtime shutdown", () => {
  it("finishes in-flight work within the grace period", async () => {
    const rt = await startLoopbackRuntime();
    try {
      const stream = new EventReader(await postGenerate(rt.url, tinyRequest({ steps: 6 })));
      await stream.until("progress");
      const closing = rt.runtime.close(30_000);
      const last = await stream.end();
      await closing;
      expect(last?.type).toBe("done");
      expect(ofType(stream.seen, "progress")).toHaveLength(6);
      const refused = await postGenerate(rt.url, tinyRequest());
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: "shutting_down" });
      expect((await fetch(`${rt.url}/healthz`)).status).toBe(503);
    } finally {
      await rt.close();
    }
  });

  it("fails waiting work at once and running work past the grace period, each with a retryable shutting_down error", async () => {
    const rt = await startLoopbackRuntime();
    try {
      const running = new EventReader(await postGenerate(rt.url, tinyRequest({ steps: 100 })));
      await running.until("progress");
      const waiting = new EventReader(await postGenerate(rt.url, tinyRequest({ steps: 90 })));
      await waitFor(() => rt.runtime.queue.stats.waiting === 1);
      await rt.runtime.close(50);
      for (const last of [await running.end(), await waiting.end()]) {
        expect(last).toMatchObject({ type: "error", data: { code: "shutting_down", retryable: true } });
      }
    } finally {
      await rt.close();
    }
  });
});
