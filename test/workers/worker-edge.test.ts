/**
 * The API on the Workers edge (workerd via wrangler, D1/KV/R2/Durable Objects local) in front of a
 * real runtime on loopback (tiny model pack, lite face pack: identities are analysed by the
 * runtime's POST /v1/faces/analyze). The README walkthrough, the bad-input cases, and deletes.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy, unstable_readConfig } from "wrangler";
import { readSseStream } from "../../shared/contract/sse.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { readFace } from "../functions/helpers/edge-harness.ts";
import { startLoopbackRuntime, TOKEN, type LoopbackRuntime } from "../gpu-runtime/service/loopback-runtime.ts";
import { startWorkerEdge, type WorkerEdge } from "./helpers/worker-edge.ts";
import { WRANGLER_CONFIG, workersStateDir } from "../../functions/cli/workers-local.ts";

let runtime: LoopbackRuntime;
let edge: WorkerEdge;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  runtime = await startLoopbackRuntime({
    faces: { pack: { pack: "lite", dir: await litePackDir() }, photoLimits: { maxBytes: 25 * 1024 * 1024, maxPixels: 50_000_000 }, workers: 1 },
  });
  edge = await startWorkerEdge({ runtimeUrl: runtime.url, runtimeToken: TOKEN, vars: { CORS_ORIGINS: "https://app.example" } });
  keyA = await edge.createKey("alice");
  keyB = await edge.createKey("bob");
}, 240_000);

afterAll(async () => {
  await edge?.close();
  await runtime?.close();
});

async function register(key: string, photo: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append("image", new Blob([photo as Uint8Array<ArrayBuffer>]), "photo.bin");
  return edge.fetch("/v1/identities", { method: "POST", key, body: form });
}

const generationBody = (identityId: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ identityId, prompt: "a portrait, studio light", width: 64, height: 64, steps: 3, ...over });

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  return body;
}

describe("Workers edge: the walkthrough", () => {
  let identityId: string;

  it("registers an identity from a photo (faces analysed by the runtime) and reads it back", async () => {
    const res = await register(keyA, await readFace("astronaut.png"));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; faces: number; embeddingModel: string };
    expect(body.faces).toBeGreaterThan(0);
    expect(body.embeddingModel).toBe("lite");
    identityId = body.id;
    const again = await edge.fetch(`/v1/identities/${identityId}`, { key: keyA });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: identityId });
  });

  it("a generation outlives the request that started it: polled from new requests to succeeded, its events replayed, its image from R2", async () => {
    const created = await edge.fetch("/v1/generations", {
      method: "POST",
      key: keyA,
      headers: { "content-type": "application/json" },
      body: generationBody(identityId),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    expect(created.headers.get("location")).toBe(`/v1/generations/${id}`);

    // The events (a new request): the latest progress is replayed, then the rest live, to done.
    const events = await edge.fetch(`/v1/generations/${id}/events`, { key: keyA, headers: { accept: "text/event-stream" } });
    expect(events.status).toBe(200);
    const seen: { event: string; data: any }[] = [];
    for await (const m of readSseStream(events.body as ReadableStream<Uint8Array>)) seen.push({ event: m.event, data: JSON.parse(m.data) });
    const names = seen.map((e) => e.event);
    expect(names).toContain("progress");
    expect(names).toContain("image");
    expect(names.at(-1)).toBe("done");
    expect(Math.max(...seen.filter((e) => e.event === "progress").map((e) => e.data.step))).toBe(3);

    const polled = (await (await edge.fetch(`/v1/generations/${id}`, { key: keyA })).json()) as any;
    expect(polled).toMatchObject({ id, status: "succeeded" });
    expect(polled.images).toHaveLength(1);

    const image = await edge.fetch(`/v1/generations/${id}/images/0`, { key: keyA });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await image.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const streamed = seen.find((e) => e.event === "image")!.data.data as string;
    expect(Buffer.from(bytes).toString("base64")).toBe(streamed);

    // Another user: the generation and its image do not exist.
    await expectProblem(await edge.fetch(`/v1/generations/${id}`, { key: keyB }), 404, "generation_not_found");
    expect((await edge.fetch(`/v1/generations/${id}/images/0`, { key: keyB })).status).toBe(404);
  });

  it("streams a generation as Server-Sent Events from the creating request", async () => {
    const res = await edge.fetch("/v1/generations", {
      method: "POST",
      key: keyA,
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: generationBody(identityId, { seed: 11 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const names: string[] = [];
    for await (const m of readSseStream(res.body as ReadableStream<Uint8Array>)) names.push(m.event);
    expect(names[0]).toBe("queued");
    expect(names).toContain("progress");
    expect(names.at(-1)).toBe("done");
  });
});

describe("Workers edge: bad input", () => {
  it("no key, a wrong key: 401", async () => {
    await expectProblem(await edge.fetch("/v1/identities/idt_x"), 401, "unauthorized");
    await expectProblem(await edge.fetch("/v1/identities/idt_x", { key: "sk_nope" }), 401, "unauthorized");
  });

  it("a photo without a face: 422 no_face_detected", async () => {
    await expectProblem(await register(keyA, await readFace("no-face-rocket.jpg")), 422, "no_face_detected");
  });

  it("junk bytes: 415 unsupported_format, as on the Node edge", async () => {
    await expectProblem(await register(keyA, new TextEncoder().encode("GIF89a not a supported photo")), 415, "unsupported_format");
  });

  it("another user's identity: 404", async () => {
    const mine = (await (await register(keyA, await readFace("grace_hopper.jpg"))).json()) as { id: string };
    await expectProblem(await edge.fetch(`/v1/identities/${mine.id}`, { key: keyB }), 404, "identity_not_found");
    const gen = await edge.fetch("/v1/generations", {
      method: "POST",
      key: keyB,
      headers: { "content-type": "application/json" },
      body: generationBody(mine.id),
    });
    await expectProblem(gen, 404, "identity_not_found");
  });

  it("a burst past the key's request limit: 429 with Retry-After", async () => {
    const key = await edge.createKey("carol", ["--requests-burst", "3", "--requests-per-minute", "1"]);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await edge.fetch("/v1/identities/idt_none", { key });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
      else await res.body?.cancel();
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectProblem(limited!, 429, "rate_limited");
  });

  it("answers CORS preflights without a key, sends request ids, and is ready while the runtime answers, as the Node edge", async () => {
    const pre = await edge.fetch("/v1/generations", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    await pre.body?.cancel();
    const other = await edge.fetch("/v1/identities/idt_none", { key: keyA, headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("x-request-id")).toMatch(/\S{8,}/);
    await other.body?.cancel();
    const ready = await edge.fetch("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ runtime: "up" });
  });
});

/** Whether the Worker's local R2 still holds an object (over wrangler's platform proxy, on the edge's state). */
async function r2Holds(key: string): Promise<boolean> {
  const { r2_buckets, compatibility_date, name } = unstable_readConfig({ config: WRANGLER_CONFIG });
  const stateDir = workersStateDir(edge.dataDir);
  const proxyConfig = join(stateDir, "r2-proxy.wrangler.json");
  await writeFile(proxyConfig, JSON.stringify({ name, compatibility_date, r2_buckets }));
  const proxy = await getPlatformProxy<{ IMAGES: { head(key: string): Promise<unknown> } }>({
    configPath: proxyConfig,
    persist: { path: join(stateDir, "v3") },
    remoteBindings: false,
    envFiles: [],
  });
  try {
    return (await proxy.env.IMAGES.head(key)) !== null;
  } finally {
    await proxy.dispose();
  }
}

/** A finished generation of `key`'s new identity from `photo` (waited for on its event stream). */
async function generated(key: string, photo: string): Promise<{ identityId: string; id: string }> {
  const registered = await register(key, await readFace(photo));
  expect(registered.status).toBe(201);
  const identityId = ((await registered.json()) as { id: string }).id;
  const created = await edge.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: generationBody(identityId),
  });
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };
  const events = await edge.fetch(`/v1/generations/${id}/events`, { key, headers: { accept: "text/event-stream" } });
  for await (const m of readSseStream(events.body as ReadableStream<Uint8Array>)) if (m.event === "done") break;
  expect(await (await edge.fetch(`/v1/generations/${id}`, { key })).json()).toMatchObject({ status: "succeeded" });
  expect((await edge.fetch(`/v1/generations/${id}/images/0`, { key })).status).toBe(200);
  expect(await r2Holds(`generations/${id}/0.png`)).toBe(true);
  return { identityId, id };
}

describe("Workers edge: deletes (D1 rows and R2 images, as on the Node edge)", () => {
  it("DELETE /v1/generations/{id}: the record and its image go, from R2 too; another user's is 404", async () => {
    const key = await edge.createKey("dave");
    const { id } = await generated(key, "camera.png");
    await expectProblem(await edge.fetch(`/v1/generations/${id}`, { method: "DELETE", key: keyB }), 404, "generation_not_found");
    expect((await edge.fetch(`/v1/generations/${id}`, { key })).status).toBe(200);

    expect((await edge.fetch(`/v1/generations/${id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await edge.fetch(`/v1/generations/${id}`, { key }), 404, "generation_not_found");
    expect((await edge.fetch(`/v1/generations/${id}/images/0`, { key })).status).toBe(404);
    expect(await r2Holds(`generations/${id}/0.png`)).toBe(false);
    await expectProblem(await edge.fetch(`/v1/generations/${id}`, { method: "DELETE", key }), 404, "generation_not_found");
  });

  it("DELETE /v1/identities/{id}?cascade=true: its generations and their R2 images go; without cascade they stay", async () => {
    const key = await edge.createKey("erin");
    const cascaded = await generated(key, "astronaut.png");
    expect((await edge.fetch(`/v1/identities/${cascaded.identityId}?cascade=true`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await edge.fetch(`/v1/identities/${cascaded.identityId}`, { key }), 404, "identity_not_found");
    await expectProblem(await edge.fetch(`/v1/generations/${cascaded.id}`, { key }), 404, "generation_not_found");
    expect(await r2Holds(`generations/${cascaded.id}/0.png`)).toBe(false);

    const kept = await generated(key, "grace_hopper.jpg");
    expect((await edge.fetch(`/v1/identities/${kept.identityId}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await edge.fetch(`/v1/identities/${kept.identityId}`, { key }), 404, "identity_not_found");
    expect((await edge.fetch(`/v1/generations/${kept.id}/images/0`, { key })).status).toBe(200);
    expect(await r2Holds(`generations/${kept.id}/0.png`)).toBe(true);
  });
});
