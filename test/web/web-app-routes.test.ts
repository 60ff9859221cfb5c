/**
 * The edge's web-app routes over the Node assets: the built page and bundle, onnxruntime-web's
 * wasm files and the face models, with the isolation and cache headers the browser relies on.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webAppRoutes } from "../../functions/routes/web-app.ts";
import { LITE_PACK_SHA256 } from "../../shared/face/lite/lite-pack-manifest.ts";
import { nodeWebAppAssets, onnxruntimeWebDist } from "../../web/server/node-web-assets.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";

let app: Hono;
let outDir: string;
const get = (path: string) => app.request(`http://edge.test${path}`);
const sha256 = (b: ArrayBuffer) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

function expectIsolated(res: Response): void {
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
  expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "web-app-routes-"));
  app = new Hono();
  app.route("/", webAppRoutes(nodeWebAppAssets({ facePack: { pack: "lite", dir: await litePackDir() }, outDir })));
}, 120_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe("web app routes", () => {
  it("serve the page (built on first request) cross-origin isolated, revalidated, with a same-origin CSP, and its hashed bundle for a year", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expectIsolated(page);
    const html = await page.text();
    const script = /<script type="module" src="(\/app\/main-[A-Z0-9]+\.js)">/.exec(html)?.[1];
    const css = /href="(\/app\/styles-[A-Z0-9]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(css).toBeDefined();
    for (const path of [script!, css!]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expectIsolated(res);
    }
    expect((await get(script!)).headers.get("content-type")).toMatch(/^text\/javascript/);
    // The bundle loads onnxruntime-web's wasm glue from the edge, never from a CDN.
    expect(await (await get(script!)).text()).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
  });

  it("list the face pack with its pinned sha256, and serve each model under its hash for a year", async () => {
    const res = await get("/face-pack.json");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const list = (await res.json()) as { pack: string; ortBase: string; files: Record<string, { url: string; sha256: string; bytes: number }> };
    expect(list.pack).toBe("lite");
    expect(Object.keys(list.files).sort()).toEqual(Object.keys(LITE_PACK_SHA256).sort());
    for (const [name, f] of Object.entries(list.files)) {
      expect(f.sha256).toBe(LITE_PACK_SHA256[name]);
      expect(f.url).toBe(`/face-models/${f.sha256}/${name}`);
      const model = await get(f.url);
      expect(model.status).toBe(200);
      expect(model.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expectIsolated(model);
      const bytes = await model.arrayBuffer();
      expect(bytes.byteLength).toBe(f.bytes);
      expect(sha256(bytes)).toBe(f.sha256);
    }
    expect((await get(`/face-models/${"0".repeat(64)}/fr_detect.onnx`)).status).toBe(404);
  });

  it("serve onnxruntime-web's webgpu-build wasm files under their version, and nothing else from node_modules", async () => {
    const { version } = onnxruntimeWebDist();
    const wasm = await get(`/ort/${version}/ort-wasm-simd-threaded.asyncify.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(wasm.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectIsolated(wasm);
    expect((await wasm.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    expect((await get(`/ort/${version}/ort-wasm-simd-threaded.asyncify.mjs`)).headers.get("content-type")).toMatch(/^text\/javascript/);
    for (const path of [`/ort/0.0.0/ort-wasm-simd-threaded.asyncify.wasm`, `/ort/${version}/ort.node.min.mjs`, `/ort/${version}/..%2Fpackage.json`, "/app/build.json", "/app/index.html", "/app/..%2F..%2Fpackage.json"]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });
});
