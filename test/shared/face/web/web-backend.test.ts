/**
 * One implementation of the face maths, two backends: the lite pipeline on onnxruntime-web (wasm,
 * here in Node; the browser test runs it on WebGPU) fetching the pack over loopback HTTP, against the
 * same pipeline on onnxruntime-node reading the folder. Plus the web backend's refusals.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DetectedFace } from "../../../../shared/face/face-analyser.ts";
import { FaceAnalysisError } from "../../../../shared/face/face-analysis-error.ts";
import { createFacePipeline } from "../../../../shared/face/create-face-pipeline.ts";
import { timedBackend, type SessionRunTiming } from "../../../../shared/face/face-session.ts";
import { LITE_PACK_SHA256 } from "../../../../shared/face/lite/lite-pack-manifest.ts";
import { createPackPipeline } from "../../../../shared/face/pack-pipeline.ts";
import { webFaceBackend, type PackFileSource } from "../../../../shared/face/web/ort-web-backend.ts";
import { decodeImage } from "../../../../shared/image/image-intake.ts";
import { litePackDir } from "../lite-pack.ts";

let server: Server;
let base: string;
let dir: string;
const requested: string[] = [];

function liteFiles(sums: Readonly<Record<string, string>> = LITE_PACK_SHA256): Record<string, PackFileSource> {
  return Object.fromEntries(Object.entries(sums).map(([name, sha256]) => [name, { url: `${base}/pack/${name}`, sha256 }]));
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!);
  return dot / Math.sqrt(na * nb);
}

async function rejectionOf(promise: Promise<unknown>): Promise<FaceAnalysisError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FaceAnalysisError);
  return err as FaceAnalysisError;
}

beforeAll(async () => {
  dir = await litePackDir();
  ortWeb.env.wasm.numThreads = 1;
  server = createServer((req, res) => {
    requested.push(req.url ?? "");
    const name = /^\/pack\/([\w.]+)$/.exec(req.url ?? "")?.[1];
    if (!name || !(name in LITE_PACK_SHA256)) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(readFileSync(join(dir, name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe("the lite pipeline on onnxruntime-web", () => {
  it("finds the astronaut's face as onnxruntime-node does: same box, keypoints, and embedding (cosine >= 0.999)", async () => {
    const image = await decodeImage(readFileSync(new URL("../../../../examples/astronaut.png", import.meta.url)));
    const timings: SessionRunTiming[] = [];
    const backend = timedBackend(webFaceBackend({ ort: ortWeb, files: liteFiles(), executionProviders: ["webgpu", "wasm"] }), (t) => timings.push(t));
    const web = await createPackPipeline("lite", backend);
    const node = await createFacePipeline({ pack: "lite", dir });
    let webFaces: DetectedFace[], nodeFaces: DetectedFace[];
    try {
      webFaces = await web.analyse(image);
      nodeFaces = await node.analyse(image);
    } finally {
      await Promise.all([web.release(), node.release()]);
    }
    expect(nodeFaces).toHaveLength(1);
    expect(webFaces).toHaveLength(1);
    const [w] = webFaces as [DetectedFace];
    const [n] = nodeFaces as [DetectedFace];
    w.bbox.forEach((v, i) => expect(Math.abs(v - n.bbox[i]!)).toBeLessThan(0.5));
    w.kps.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - n.kps[i]![j]!)).toBeLessThan(0.5)));
    expect(w.embedding).toHaveLength(512);
    expect(cosine(w.embedding, n.embedding)).toBeGreaterThanOrEqual(0.999);
    // Node has no WebGPU: every network fell back to wasm, and each one ran once.
    expect(timings.map((t) => `${t.file}:${t.provider}`)).toEqual(["fr_detect.onnx:wasm", "fr_landmark.onnx:wasm", "fr_feature.onnx:wasm"]);
    expect(requested.filter((u) => u.startsWith("/pack/")).sort()).toEqual(["/pack/fr_detect.onnx", "/pack/fr_feature.onnx", "/pack/fr_landmark.onnx"]);
  });

  it("records why WebGPU was skipped when the device has none", async () => {
    const session = await webFaceBackend({ ort: ortWeb, files: liteFiles() }).openSession("fr_landmark.onnx", "hint");
    try {
      expect(session.provider).toBe("wasm");
      expect(session.fallbacks.map((f) => f.provider)).toEqual(["webgpu"]);
      expect(session.fallbacks[0]!.reason).toMatch(/webgpu/i);
    } finally {
      await session.release();
    }
  });

  it("refuses a model whose bytes do not hash to the pinned sha256 (pack_invalid), before loading it", async () => {
    const wrong = { ...LITE_PACK_SHA256, "fr_detect.onnx": LITE_PACK_SHA256["fr_landmark.onnx"]! };
    const err = await rejectionOf(createPackPipeline("lite", webFaceBackend({ ort: ortWeb, files: liteFiles(wrong), executionProviders: ["wasm"] })));
    expect(err.code).toBe("pack_invalid");
    expect(err.message).toMatch(/fr_detect\.onnx has sha256 6c0256cc/);
  });

  it("reports a model the server does not have as pack_missing, with the hint", async () => {
    const files = { ...liteFiles(), "fr_feature.onnx": { url: `${base}/pack/nothing-here.onnx`, sha256: LITE_PACK_SHA256["fr_feature.onnx"]! } };
    const err = await rejectionOf(createPackPipeline("lite", webFaceBackend({ ort: ortWeb, files, executionProviders: ["wasm"] })));
    expect(err.code).toBe("pack_missing");
    expect(err.message).toMatch(/404.*models:face/);
  });
});
