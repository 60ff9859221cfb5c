/**
 * The edge core answers POST /v1/identities the same whichever photo analyser it is given: the
 * Node edge's in-process one (sharp + ONNX workers) or the Workers edge's, which asks a real
 * runtime's POST /v1/faces/analyze on loopback. Good photos give the same identity; bad ones the
 * same status and problem code.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodePhotoAnalyser } from "../../../functions/adapters/node/photo-analyser.ts";
import { createRuntimePhotoAnalyser } from "../../../functions/adapters/runtime-photo-analyser.ts";
import { issueApiKey } from "../../../functions/api-keys/issue-api-key.ts";
import { createEdgeApp, type EdgeApp } from "../../../functions/app.ts";
import type { PhotoAnalyser } from "../../../functions/ports/photo-analysis.ts";
import { createFetchRuntimeClient } from "../../../functions/runtime-client/fetch-runtime-client.ts";
import { createMemoryStores } from "../../../functions/stores/memory/index.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { startLoopbackRuntime, TOKEN, type LoopbackRuntime } from "../../gpu-runtime/service/loopback-runtime.ts";
import { litePackDir } from "../../shared/face/lite-pack.ts";

const photo = async (name: string) => new Uint8Array(await readFile(new URL(`../../fixtures/faces/${name}`, import.meta.url)));
const LIMITS = { maxBytes: 1_000_000, maxPixels: 3_000_000 };

interface Edge {
  readonly edge: EdgeApp;
  readonly key: string;
  readonly analyser: PhotoAnalyser;
}

let rt: LoopbackRuntime;
let node: Edge;
let workers: Edge;

async function edgeWith(analyser: PhotoAnalyser): Promise<Edge> {
  const stores = createMemoryStores();
  const edge = createEdgeApp({
    stores,
    photoAnalyser: analyser,
    runtime: createFetchRuntimeClient({ baseUrl: rt.url, token: TOKEN }),
    log: () => undefined,
  });
  const { key } = await issueApiKey(stores.apiKeys, { userId: "alice", nowMs: Date.now(), limits: { requestsBurst: 1000 } });
  return { edge, key, analyser };
}

beforeAll(async () => {
  const dir = await litePackDir();
  rt = await startLoopbackRuntime({ faces: { pack: { pack: "lite", dir }, photoLimits: LIMITS, workers: 1 } });
  node = await edgeWith(createNodePhotoAnalyser((b) => decodeImage(b, LIMITS), await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 })));
  workers = await edgeWith(createRuntimePhotoAnalyser({ baseUrl: rt.url, token: TOKEN, maxBytes: LIMITS.maxBytes }));
});
afterAll(async () => {
  for (const e of [node, workers]) {
    await e?.edge.close();
    await e?.analyser.close();
  }
  await rt?.close();
});

async function register(e: Edge, photos: Uint8Array[]): Promise<{ status: number; body: any }> {
  const form = new FormData();
  photos.forEach((p, i) => form.append("image", new Blob([p as Uint8Array<ArrayBuffer>]), `photo${i}`));
  const res = await e.edge.app.fetch(new Request("http://edge.test/v1/identities", { method: "POST", headers: { authorization: `Bearer ${e.key}` }, body: form }));
  return { status: res.status, body: await res.json() };
}

/** What a client can rely on: everything but the identity's id and creation time. */
function comparable(r: { status: number; body: any }) {
  const { id: _id, createdAt: _createdAt, ...rest } = r.body;
  return { status: r.status, body: rest };
}

describe("POST /v1/identities on the Node and the Workers photo analysis", () => {
  it.each([{ names: ["astronaut.png"] }, { names: ["grace_hopper.jpg"] }, { names: ["astronaut.png", "grace_hopper.jpg"] }])("same identity for $names", async ({ names }) => {
    const photos = await Promise.all(names.map(photo));
    const [viaNode, viaRuntime] = [await register(node, photos), await register(workers, photos)];
    expect(viaNode.status).toBe(201);
    expect(comparable(viaRuntime)).toEqual(comparable(viaNode));
  });

  it("same problem for each bad photo", async () => {
    const sharp = (await import("sharp")).default;
    const cases: Record<string, Uint8Array> = {
      junk: new TextEncoder().encode("these are not the bytes of a photo"),
      truncated: (await photo("astronaut.png")).subarray(0, 4000),
      noFace: await photo("no-face-rocket.jpg"),
      tooManyBytes: new Uint8Array(await sharp({ create: { width: 900, height: 900, channels: 3, background: "#000000", noise: { type: "gaussian", mean: 128, sigma: 60 } } }).png().toBuffer()),
      tooManyPixels: new Uint8Array(await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#336699" } }).jpeg().toBuffer()),
    };
    expect(cases.tooManyBytes!.byteLength).toBeGreaterThan(LIMITS.maxBytes);
    const expected = { junk: 415, truncated: 400, noFace: 422, tooManyBytes: 413, tooManyPixels: 413 } as Record<string, number>;
    for (const [name, bytes] of Object.entries(cases)) {
      const [viaNode, viaRuntime] = [await register(node, [bytes]), await register(workers, [bytes])];
      expect({ name, status: viaNode.status }).toEqual({ name, status: expected[name] });
      expect({ name, status: viaRuntime.status, code: viaRuntime.body.code }).toEqual({ name, status: viaNode.status, code: viaNode.body.code });
    }
  });
});
