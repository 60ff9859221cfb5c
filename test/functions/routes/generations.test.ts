import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeEmbedding } from "../../../shared/contract/embedding.ts";
import { GENERATION_DEFAULTS, instantIdOutputSize } from "../../../shared/contract/limits.ts";
import { photoForm, readEvents, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
let keyA: string;
let keyB: string;
let identity: { id: string; face: { kps: [number, number][] }; imageSize: { width: number; height: number } };
let poseIdentity: typeof identity;

beforeAll(async () => {
  h = await startHarness();
  keyA = await h.createKey("user-a");
  keyB = await h.createKey("user-b");
  identity = await (await h.fetch("/v1/identities", { method: "POST", key: keyA, body: photoForm(await readFace("astronaut.png")) })).json();
  poseIdentity = await (await h.fetch("/v1/identities", { method: "POST", key: keyA, body: photoForm(await readFace("grace_hopper.jpg")) })).json();
});
afterAll(() => h?.close());
beforeEach(() => {
  h.stub.behaviour = "complete";
});

const small = { width: 64, height: 96, steps: 3 };

function generate(body: Record<string, unknown>, opts: { key?: string; sse?: boolean; headers?: Record<string, string> } = {}) {
  return h.fetch("/v1/generations", {
    method: "POST",
    key: opts.key ?? keyA,
    headers: {
      "content-type": "application/json",
      ...(opts.sse ? { accept: "text/event-stream" } : {}),
      ...opts.headers,
    },
    body: JSON.stringify(body),
  });
}

async function pollUntilFinished(id: string, key = keyA): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const g = await (await h.fetch(`/v1/generations/${id}`, { key })).json();
    if (["succeeded", "failed", "cancelled"].includes(g.status)) return g;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("generation did not finish");
}

describe("POST /v1/generations with Accept: text/event-stream", () => {
  it("relays queued, progress per step, image and done; the image is then served", async () => {
    const res = await generate({ identityId: identity.id, prompt: "a portrait", ...small, numImages: 2 }, { sse: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = await readEvents(res);
    const names = events.map((e) => e.event);
    expect(names).toEqual(["queued", "progress", "progress", "progress", "image", "image", "done"]);
    const queued = events[0].data;
    expect(queued.status).toBe("queued");
    expect(events.filter((e) => e.event === "progress").map((e) => e.data.step)).toEqual([1, 2, 3]);
    const done = events[events.length - 1].data;
    expect(done.status).toBe("succeeded");
    expect(done.images).toHaveLength(2);

    const imageEvent = events[4].data;
    const served = await h.fetch(imageEvent.url, { key: keyA });
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(h.stub.imageBytes(queued.id, 0)!))).toBe(true);
    expect(Buffer.from(imageEvent.data, "base64").equals(Buffer.from(bytes))).toBe(true);
    // Another user cannot fetch it.
    expect((await h.fetch(imageEvent.url, { key: keyB })).status).toBe(404);
  });

  it("relays previews when asked", async () => {
    const res = await generate({ identityId: identity.id, prompt: "p", ...small, steps: 4, preview: { everySteps: 2 } }, { sse: true });
    const previews = (await readEvents(res)).filter((e) => e.event === "preview");
    expect(previews.map((p) => p.data.step)).toEqual([2, 4]);
    expect(previews[0].data.mimeType).toBe("image/jpeg");
  });

  it("gives the client an error event and marks the generation failed when the runtime dies mid-stream", async () => {
    h.stub.behaviour = "die_mid_stream";
    const res = await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true });
    const events = await readEvents(res);
    const last = events[events.length - 1];
    expect(last.event).toBe("error");
    expect(last.data.code).toBe("runtime_disconnected");
    const g = await (await h.fetch(`/v1/generations/${events[0].data.id}`, { key: keyA })).json();
    expect(g.status).toBe("failed");
    expect(g.error.code).toBe("runtime_disconnected");
  });

  it("fails the generation when the stream ends without done", async () => {
    h.stub.behaviour = "end_without_done";
    const events = await readEvents(await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true }));
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "runtime_disconnected" } });
  });

  it("relays the runtime's error event", async () => {
    h.stub.behaviour = "error_event";
    const events = await readEvents(await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true }));
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "inference_failed" } });
    expect((await pollUntilFinished(events[0].data.id)).status).toBe("failed");
  });

  it("fails on a runtime that breaks the contract", async () => {
    h.stub.behaviour = "malformed_event";
    const events = await readEvents(await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true }));
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "runtime_protocol_error" } });
  });
});

describe("POST /v1/generations without SSE: 202 and polling", () => {
  it("answers 202 with a Location to poll until the images are there", async () => {
    const res = await generate({ identityId: identity.id, prompt: "a portrait", ...small, outputFormat: "jpeg" });
    expect(res.status).toBe(202);
    const g = await res.json();
    expect(res.headers.get("location")).toBe(`/v1/generations/${g.id}`);
    expect(g.status).toBe("queued");
    const final = await pollUntilFinished(g.id);
    expect(final.status).toBe("succeeded");
    expect(final.progress).toEqual({ step: 3, total: 3 });
    expect(final.images).toHaveLength(1);
    const img = await h.fetch(final.images[0].url, { key: keyA });
    expect(img.headers.get("content-type")).toBe("image/jpeg");
    expect((await h.fetch(`/v1/generations/${g.id}/images/1`, { key: keyA })).status).toBe(404);
    expect((await h.fetch(`/v1/generations/${g.id}`, { key: keyB })).status).toBe(404);
  });
});

describe("what the runtime receives", () => {
  it("the cached embedding, its pack, the settings, and the keypoints mapped onto the canvas", async () => {
    const before = h.stub.requests.length;
    const res = await generate({
      identityId: identity.id,
      prompt: "a portrait",
      negativePrompt: "blurry",
      style: "Watercolor",
      width: 128,
      height: 64,
      steps: 2,
      seed: 1234,
      guidanceScale: 3.5,
      identityStrength: 0.6,
      adapterStrength: 0.7,
      scheduler: "ddim",
    });
    const g = await res.json();
    await pollUntilFinished(g.id);
    expect(h.stub.requests.length).toBe(before + 1);
    const r = h.stub.requests[before];
    expect(r).toMatchObject({
      requestId: g.id,
      embeddingPack: h.kit.analyser.pack,
      prompt: "a portrait",
      negativePrompt: "blurry",
      style: "Watercolor",
      width: 128,
      height: 64,
      steps: 2,
      seed: 1234,
      guidanceScale: 3.5,
      identityStrength: 0.6,
      adapterStrength: 0.7,
      scheduler: "ddim",
      numImages: 1,
      outputFormat: "png",
    });
    expect(decodeEmbedding(r.embedding)).toBeInstanceOf(Float32Array);
    const sx = 128 / identity.imageSize.width;
    const sy = 64 / identity.imageSize.height;
    r.kps.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(identity.face.kps[i][0] * sx, 6);
      expect(y).toBeCloseTo(identity.face.kps[i][1] * sy, 6);
    });
  });

  it("uses the pose identity's keypoints and InstantID's size for its photo by default", async () => {
    const before = h.stub.requests.length;
    h.stub.behaviour = "busy"; // only the request matters here
    await generate({ identityId: identity.id, prompt: "p", pose: { identityId: poseIdentity.id } });
    const r = h.stub.requests[before];
    const size = instantIdOutputSize(poseIdentity.imageSize.width, poseIdentity.imageSize.height);
    expect({ width: r.width, height: r.height }).toEqual(size);
    const sx = size.width / poseIdentity.imageSize.width;
    r.kps.forEach(([x], i) => expect(x).toBeCloseTo(poseIdentity.face.kps[i][0] * sx, 6));
    expect(r.steps).toBe(GENERATION_DEFAULTS.steps);
    expect(r.scheduler).toBe(GENERATION_DEFAULTS.scheduler);
    expect(Number.isInteger(r.seed)).toBe(true);
  });

  it("fast mode asks for LCM with few steps and low guidance", async () => {
    const before = h.stub.requests.length;
    h.stub.behaviour = "busy";
    await generate({ identityId: identity.id, prompt: "p", width: 64, height: 64, fast: true });
    expect(h.stub.requests[before]).toMatchObject({ scheduler: "lcm", steps: 5, guidanceScale: 1.5 });
  });
});

describe("runtime refusals", () => {
  it("a busy runtime is a 503 with Retry-After, and the generation is failed", async () => {
    h.stub.behaviour = "busy";
    const res = await generate({ identityId: identity.id, prompt: "p", ...small });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await res.json()).code).toBe("runtime_busy");
  });

  it("an embedding from a pack the runtime refuses is a 422 embedding_pack_mismatch", async () => {
    h.stub.behaviour = "pack_mismatch";
    const res = await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true });
    expect(res.status).toBe(422);
    expect((await res.json()).code).toBe("embedding_pack_mismatch");
  });
});

describe("cancel", () => {
  it("stops a running generation and closes the runtime request", async () => {
    h.stub.behaviour = "hang";
    const disconnected = h.stub.nextDisconnect();
    const g = await (await generate({ identityId: identity.id, prompt: "p", ...small })).json();
    const cancel = await h.fetch(`/v1/generations/${g.id}/cancel`, { method: "POST", key: keyA });
    expect(cancel.status).toBe(200);
    expect((await cancel.json()).status).toBe("cancelled");
    expect(await disconnected).toBe(g.id);
    expect((await pollUntilFinished(g.id)).status).toBe("cancelled");
    // Cancelling again is harmless; another user's cancel is a 404.
    expect((await h.fetch(`/v1/generations/${g.id}/cancel`, { method: "POST", key: keyA })).status).toBe(200);
    expect((await h.fetch(`/v1/generations/${g.id}/cancel`, { method: "POST", key: keyB })).status).toBe(404);
  });

  it("an SSE client sees an error event with code cancelled", async () => {
    h.stub.behaviour = "hang";
    const res = await generate({ identityId: identity.id, prompt: "p", ...small }, { sse: true });
    const eventsPromise = readEvents(res);
    const id = res.headers.get("location")!.split("/").pop()!;
    await h.fetch(`/v1/generations/${id}/cancel`, { method: "POST", key: keyA });
    const events = await eventsPromise;
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "cancelled" } });
  });

  it("a finished generation cannot be cancelled (409)", async () => {
    const g = await (await generate({ identityId: identity.id, prompt: "p", ...small })).json();
    await pollUntilFinished(g.id);
    const res = await h.fetch(`/v1/generations/${g.id}/cancel`, { method: "POST", key: keyA });
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("generation_not_cancellable");
  });
});

describe("bad generation requests", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["missing identityId", { identityId: undefined }, "identityId"],
    ["missing prompt", { prompt: undefined }, "prompt"],
    ["width not a multiple of 8", { width: 100, height: 64 }, "width"],
    ["width too large", { width: 4096, height: 64 }, "width"],
    ["too many pixels", { width: 2048, height: 2048 }, "width"],
    ["steps 0", { steps: 0 }, "steps"],
    ["steps fractional", { steps: 2.5 }, "steps"],
    ["guidance negative", { guidanceScale: -1 }, "guidanceScale"],
    ["identityStrength too high", { identityStrength: 2 }, "identityStrength"],
    ["adapterStrength too high", { adapterStrength: 1.6 }, "adapterStrength"],
    ["seed negative", { seed: -1 }, "seed"],
    ["unknown scheduler", { scheduler: "plms" }, "scheduler"],
    ["unknown style", { style: "Cubism" }, "style"],
    ["too many images", { numImages: 5 }, "numImages"],
    ["unknown format", { outputFormat: "gif" }, "outputFormat"],
    ["unknown field", { guidance: 5 }, ""],
    ["prompt too long", { prompt: "x".repeat(2001) }, "prompt"],
  ];
  for (const [name, patch, path] of cases) {
    it(`400 invalid_request: ${name}`, async () => {
      const res = await generate({ identityId: identity.id, prompt: "p", ...patch });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.code).toBe("invalid_request");
      expect(body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  }

  it("415 for a body that is not JSON, 400 for malformed JSON, 404 for an unknown identity", async () => {
    const notJson = await h.fetch("/v1/generations", { method: "POST", key: keyA, body: "x", headers: { "content-type": "text/plain" } });
    expect((await notJson.json()).code).toBe("unsupported_media_type");
    const bad = await h.fetch("/v1/generations", { method: "POST", key: keyA, body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe("invalid_json");
    const missing = await generate({ identityId: "idn_nope", prompt: "p" });
    expect(missing.status).toBe(404);
    expect((await missing.json()).code).toBe("identity_not_found");
    const missingPose = await generate({ identityId: identity.id, prompt: "p", pose: { identityId: "idn_nope" } });
    expect(missingPose.status).toBe(404);
    expect((await h.fetch("/v1/generations/gen_nope", { key: keyA })).status).toBe(404);
  });
});
