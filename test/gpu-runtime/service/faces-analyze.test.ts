/**
 * POST /v1/faces/analyze on a real runtime (tiny pack, lite face pack) over loopback HTTP: real
 * photos in, the same faces the in-process analyser finds out; the intake's refusals as the same
 * problem codes the Node edge answers; the bearer token; a missing face pack as a 503.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEmbedding, FacesAnalyzeResponseSchema, PROBLEM_CONTENT_TYPE, type FacesAnalyzeResponse } from "../../../shared/contract/index.ts";
import type { FaceAnalyser } from "../../../shared/face/face-analyser.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { litePackDir } from "../../shared/face/lite-pack.ts";
import { startLoopbackRuntime, TOKEN, type LoopbackRuntime } from "./loopback-runtime.ts";

const photo = async (name: string) => new Uint8Array(await readFile(new URL(`../../fixtures/faces/${name}`, import.meta.url)));
const MAX_BYTES = 2_000_000;
const MAX_PIXELS = 3_000_000;

let rt: LoopbackRuntime;
let reference: FaceAnalyser;
beforeAll(async () => {
  const dir = await litePackDir();
  // batching on (a GPU runtime's default), so concurrent requests share the networks' runs
  rt = await startLoopbackRuntime({
    faces: { pack: { pack: "lite", dir }, photoLimits: { maxBytes: MAX_BYTES, maxPixels: MAX_PIXELS }, workers: 1, batch: { maxImages: 8, windowMs: 20 } },
  });
  reference = await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 });
});
afterAll(async () => {
  await rt?.close();
  await reference?.close();
});

function analyze(url: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/faces/analyze`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "image/png", ...headers },
    body: body as Uint8Array<ArrayBuffer> | string,
  });
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
  expect(await res.json()).toMatchObject({ status, code });
}

describe("POST /v1/faces/analyze", () => {
  it.each(["astronaut.png", "grace_hopper.jpg", "sample1.jpg"])("answers %s's faces exactly as the in-process analyser finds them", async (name) => {
    const bytes = await photo(name);
    const res = await analyze(rt.url, bytes, { "content-type": name.endsWith(".png") ? "image/png" : "image/jpeg" });
    expect(res.status).toBe(200);
    const body: FacesAnalyzeResponse = FacesAnalyzeResponseSchema.parse(await res.json());
    const image = await decodeImage(bytes);
    const expected = await reference.analyse(image);
    expect(expected.length).toBeGreaterThan(0);
    expect(body).toMatchObject({ pack: "lite", imageWidth: image.width, imageHeight: image.height });
    expect(body.faces.map((f) => ({ ...f, embedding: Array.from(decodeEmbedding(f.embedding)!) }))).toEqual(
      expected.map((f) => ({ bbox: [...f.bbox], score: f.score, kps: f.kps.map((p) => [...p]), embedding: Array.from(f.embedding), pack: f.pack })),
    );
  });

  it("answers concurrent requests (analysed as one batch) with byte-identical faces to the same requests one by one", async () => {
    const names = ["astronaut.png", "grace_hopper.jpg", "sample1.jpg", "sample2.jpg", "sample4.jpg"];
    const send = async (name: string) => {
      const res = await analyze(rt.url, await photo(name), { "content-type": name.endsWith(".png") ? "image/png" : "image/jpeg" });
      expect(res.status).toBe(200);
      return FacesAnalyzeResponseSchema.parse(await res.json());
    };
    const one = [];
    for (const name of names) one.push(await send(name));
    const together = await Promise.all(names.map(send));
    // the embeddings are base64 of the float32 bytes: equal strings are equal bytes
    expect(together).toEqual(one);
    expect(one.flatMap((b) => b.faces).length).toBeGreaterThanOrEqual(names.length);
  });

  it("counts analyses and refusals in the runtime's metrics", async () => {
    const metrics = async () => (await fetch(`${rt.url}/metrics`)).text();
    const count = (text: string, series: string) => Number(new RegExp(`^${series} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
    const before = await metrics();
    await analyze(rt.url, await photo("grace_hopper.jpg"), { "content-type": "image/jpeg" });
    await analyze(rt.url, new TextEncoder().encode("junk"));
    const after = await metrics();
    expect(count(after, "instantid_face_analyses_total") - count(before, "instantid_face_analyses_total")).toBe(1);
    expect(count(after, "instantid_face_analysis_seconds_count") - count(before, "instantid_face_analysis_seconds_count")).toBe(1);
    expect(count(after, 'instantid_errors_total\\{code="unsupported_format"\\}') - count(before, 'instantid_errors_total\\{code="unsupported_format"\\}')).toBe(1);
  });

  it("answers a photo with no face with an empty list, not an error", async () => {
    const res = await analyze(rt.url, await photo("no-face-rocket.jpg"), { "content-type": "image/jpeg" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as FacesAnalyzeResponse).faces).toEqual([]);
  });

  it("answers concurrent requests through the one analyser pool, each with its own photo's faces", async () => {
    const names = ["astronaut.png", "grace_hopper.jpg", "astronaut.png", "grace_hopper.jpg", "sample2.jpg", "astronaut.png"];
    const alone = new Map<string, unknown>();
    for (const n of new Set(names)) alone.set(n, await (await analyze(rt.url, await photo(n))).json());
    const together = await Promise.all(names.map(async (n) => (await analyze(rt.url, await photo(n))).json()));
    expect(together).toEqual(names.map((n) => alone.get(n)));
  });

  it("refuses what the edge's intake refuses, with the same codes", async () => {
    const png = await photo("astronaut.png");
    await expectProblem(await analyze(rt.url, new TextEncoder().encode("definitely not an image")), 415, "unsupported_format");
    await expectProblem(await analyze(rt.url, png.subarray(0, 2000)), 400, "corrupt_image");
    await expectProblem(await analyze(rt.url, new Uint8Array(0)), 400, "corrupt_image");
    await expectProblem(await analyze(rt.url, new Uint8Array(MAX_BYTES + 1).fill(7)), 413, "image_too_large");
  });

  it("refuses an oversized upload sent without a length (chunked) once the limit is passed", async () => {
    const chunk = new Uint8Array(256 * 1024).fill(0xff);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit if nobody stops reading: the runtime must stop at the limit.
        if (sent >= MAX_BYTES * 50) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${rt.url}/v1/faces/analyze`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "image/jpeg" },
      body,
      duplex: "half",
    } as RequestInit);
    await expectProblem(res, 413, "image_too_large");
    expect(sent).toBeLessThan(MAX_BYTES * 50);
  });

  it("refuses a photo over the pixel limit before decoding it", async () => {
    const sharp = (await import("sharp")).default;
    const big = new Uint8Array(await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#808080" } }).png().toBuffer());
    await expectProblem(await analyze(rt.url, big), 413, "too_many_pixels");
  });

  it("takes only image/* bodies", async () => {
    const png = await photo("astronaut.png");
    await expectProblem(await analyze(rt.url, png, { "content-type": "application/octet-stream" }), 415, "unsupported_media_type");
    await expectProblem(await analyze(rt.url, png, { "content-type": "multipart/form-data; boundary=x" }), 415, "unsupported_media_type");
    // The bytes decide the format: a JPEG sent as image/png is still analysed.
    expect((await analyze(rt.url, await photo("grace_hopper.jpg"), { "content-type": "image/png; charset=binary" })).status).toBe(200);
  });

  it("needs the runtime's bearer token", async () => {
    const png = await photo("astronaut.png");
    await expectProblem(await analyze(rt.url, png, { authorization: "" }), 401, "unauthorized");
    await expectProblem(await analyze(rt.url, png, { authorization: "Bearer wrong-token-0123456789" }), 401, "unauthorized");
  });
});

describe("POST /v1/faces/analyze without a face pack", () => {
  it("answers 503 faces_unavailable naming how to get the pack, and keeps generating", async () => {
    const empty = mkdtempSync(join(tmpdir(), "no-face-pack-"));
    const bare = await startLoopbackRuntime({
      faces: { pack: { pack: "lite", dir: empty }, photoLimits: { maxBytes: MAX_BYTES, maxPixels: MAX_PIXELS }, workers: 1 },
    });
    try {
      const res = await analyze(bare.url, await photo("astronaut.png"));
      expect(res.status).toBe(503);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe("faces_unavailable");
      expect(problem.detail).toMatch(/models:face/);
      // Intake still comes first: a junk photo is the client's error even without a pack.
      await expectProblem(await analyze(bare.url, new TextEncoder().encode("junk")), 415, "unsupported_format");
      expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
