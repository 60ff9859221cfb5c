/**
 * The web app on the Workers edge (workerd via wrangler, wrangler.toml's [assets] folder built by
 * web/server/workers-assets-build.ts): the same paths and headers as the Node edge, onnxruntime-web's
 * 27 MB wasm sent gzip-compressed (its stored blobs stay under Workers' 25 MiB asset limit) yet
 * decoding to exactly node_modules' bytes, the face models under their sha256, and precomputed faces of
 * the served pack accepted.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeEmbedding } from "../../shared/contract/embedding.ts";
import { LITE_PACK_SHA256 } from "../../shared/face/lite/lite-pack-manifest.ts";
import { DEFAULT_WEB_OUT_DIR } from "../../web/build.ts";
import { onnxruntimeWebDist } from "../../web/server/node-web-assets.ts";
import { ensureWorkersAssets } from "../../web/server/workers-assets-build.ts";
import { WORKERS_ASSET_MAX_BYTES } from "../../functions/adapters/workers/web-assets-manifest.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { startWorkerEdge, type WorkerEdge } from "./helpers/worker-edge.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
const WASM = "ort-wasm-simd-threaded.asyncify.wasm";
let edge: WorkerEdge;
let packDir: string;

const sha256 = (b: Uint8Array | ArrayBuffer) => createHash("sha256").update(b instanceof Uint8Array ? b : new Uint8Array(b)).digest("hex");

function expectIsolated(res: { headers: Headers }): void {
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
  expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
}

/** A GET whose body is not decoded (fetch would gunzip it): the bytes as they crossed the wire. */
function rawGet(path: string, acceptEncoding: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${edge.url}${path}`, { headers: { "accept-encoding": acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  packDir = await litePackDir();
  await ensureWorkersAssets({ facePack: { pack: "lite", dir: packDir } });
  // No runtime: the web app and precomputed faces never reach it.
  edge = await startWorkerEdge({ runtimeUrl: "http://127.0.0.1:9", runtimeToken: "web-app-test-token", vars: { ACCESS_LOG: "0" } });
}, 300_000);

afterAll(async () => {
  await edge?.close();
});

describe("the web app on the Workers edge", () => {
  it("serves the page revalidated with the Node edge's CSP, and its hashed bundle for a year, byte for byte", async () => {
    const page = await edge.fetch("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expectIsolated(page);
    const html = await page.text();
    expect(html).toBe(await readFile(join(DEFAULT_WEB_OUT_DIR, "index.html"), "utf8"));
    const script = /<script type="module" src="\/app\/(main-[A-Z0-9]+\.js)">/.exec(html)?.[1];
    const css = /href="\/app\/(styles-[A-Z0-9]+\.css)"/.exec(html)?.[1];
    for (const [name, type] of [
      [script!, /^text\/javascript/],
      [css!, /^text\/css/],
    ] as const) {
      const res = await edge.fetch(`/app/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type")).toMatch(type);
      expect(res.headers.get("cache-control")).toBe(IMMUTABLE);
      expectIsolated(res);
      expect(sha256(await res.arrayBuffer())).toBe(sha256(await readFile(join(DEFAULT_WEB_OUT_DIR, name))));
    }
  });

  it("sends onnxruntime-web's wasm gzip-compressed to a client that takes gzip, decoding to node_modules' exact bytes, and decoded to one that does not", async () => {
    const { dir, version } = onnxruntimeWebDist();
    const original = await readFile(join(dir, WASM));
    expect(original.byteLength).toBeGreaterThan(WORKERS_ASSET_MAX_BYTES); // why it is stored compressed at all
    const path = `/ort/${version}/${WASM}`;

    const gz = await rawGet(path, "gzip, deflate, br");
    expect(gz.status).toBe(200);
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toBe("Accept-Encoding");
    expect(gz.headers.get("content-type")).toBe("application/wasm");
    expect(gz.headers.get("cache-control")).toBe(IMMUTABLE);
    expectIsolated(gz);
    expect(gz.body.byteLength).toBeLessThan(WORKERS_ASSET_MAX_BYTES);
    expect(sha256(gunzipSync(gz.body))).toBe(sha256(original));

    const plain = await rawGet(path, "identity");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.body.byteLength).toBe(original.byteLength);
    expect(sha256(plain.body)).toBe(sha256(original));

    const glue = await edge.fetch(`/ort/${version}/ort-wasm-simd-threaded.asyncify.mjs`);
    expect(glue.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(sha256(await glue.arrayBuffer())).toBe(sha256(await readFile(join(dir, "ort-wasm-simd-threaded.asyncify.mjs"))));
  });

  it("lists the runtime's face pack (lite) with its pins, and serves each model under its sha256 for a year", async () => {
    const res = await edge.fetch("/face-pack.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expectIsolated(res);
    const list = (await res.json()) as { pack: string; ortBase: string; files: Record<string, { url: string; sha256: string; bytes: number }> };
    expect(list.pack).toBe("lite");
    expect(list.ortBase).toBe(`/ort/${onnxruntimeWebDist().version}/`);
    expect(Object.keys(list.files).sort()).toEqual(Object.keys(LITE_PACK_SHA256).sort());
    for (const [name, f] of Object.entries(list.files)) {
      expect(f.sha256).toBe(LITE_PACK_SHA256[name]);
      expect(f.url).toBe(`/face-models/${f.sha256}/${name}`);
      const model = await edge.fetch(f.url);
      expect(model.status).toBe(200);
      expect(model.headers.get("content-type")).toBe("application/octet-stream");
      expect(model.headers.get("cache-control")).toBe(IMMUTABLE);
      expectIsolated(model);
      const bytes = await model.arrayBuffer();
      expect(bytes.byteLength).toBe(f.bytes);
      expect(sha256(bytes)).toBe(f.sha256);
    }
  });

  it("answers 404 for what it does not serve, as the Node edge does", async () => {
    const { version } = onnxruntimeWebDist();
    for (const path of [
      `/ort/0.0.0/${WASM}`,
      `/ort/${version}/ort.node.min.mjs`,
      `/ort/${version}/..%2Fpackage.json`,
      "/app/build.json",
      "/app/index.html",
      "/app/..%2F..%2Fpackage.json",
      `/face-models/${"0".repeat(64)}/fr_detect.onnx`,
      "/manifest.json",
      "/blobs/x.bin",
    ]) {
      const res = await edge.fetch(path);
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
  });

  it("takes precomputed faces of the served pack, and refuses another pack's", async () => {
    const key = await edge.createKey("alice");
    const face = (embeddingModel: string) => ({
      face: {
        embedding: encodeEmbedding(Float32Array.from({ length: 512 }, (_, i) => Math.sin(i + 1))),
        kps: [[200, 220], [310, 220], [255, 280], [215, 340], [300, 340]],
        bbox: [150, 140, 360, 400],
        score: 0.9,
        imageWidth: 512,
        imageHeight: 512,
      },
      embeddingModel,
    });
    const post = (body: unknown) =>
      edge.fetch("/v1/identities", { method: "POST", key, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const created = await post(face("lite"));
    expect(created.status).toBe(201);
    expect(((await created.json()) as { embeddingModel: string }).embeddingModel).toBe("lite");
    const refused = await post(face("antelopev2"));
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { code: string }).code).toBe("embedding_model_mismatch");
  });
});
