/**
 * The Workers asset folder (web/server/workers-assets-build.ts) and the Worker's reading of it
 * (functions/adapters/workers/web-assets.ts) behind the web-app routes, here on Node with the ASSETS
 * binding played by the folder itself: with a small blob limit, files are cut into parts and served
 * joined, byte for byte; the folder is rebuilt only when an input changed; a folder built for another
 * pack, or none, is a 503 that says what to do.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workersWebAppAssets, type AssetFetcher } from "../../functions/adapters/workers/web-assets.ts";
import type { WorkersAssetsManifest } from "../../functions/adapters/workers/web-assets-manifest.ts";
import { ApiError } from "../../functions/errors/api-error.ts";
import { acceptsGzip, webAppRoutes } from "../../functions/routes/web-app.ts";
import { LITE_PACK_SHA256 } from "../../shared/face/lite/lite-pack-manifest.ts";
import { onnxruntimeWebDist } from "../../web/server/node-web-assets.ts";
import { ensureWorkersAssets } from "../../web/server/workers-assets-build.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";

const BLOB_LIMIT = 2 * 1024 * 1024;
const WASM = "ort-wasm-simd-threaded.asyncify.wasm";
let outDir: string;
let packDir: string;
let manifest: WorkersAssetsManifest;
let app: Hono;

const sha256 = (b: Uint8Array | ArrayBuffer) => createHash("sha256").update(b instanceof Uint8Array ? b : new Uint8Array(b)).digest("hex");

/** ASSETS over a folder: the path's file, or 404. */
function folderFetcher(dir: string): AssetFetcher {
  return {
    async fetch(request) {
      const path = decodeURIComponent(new URL(request.url).pathname).slice(1);
      if (path.split("/").includes("..")) return new Response(null, { status: 404 });
      return readFile(join(dir, path)).then(
        (b) => new Response(b),
        () => new Response(null, { status: 404 }),
      );
    },
  };
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "workers-assets-"));
  packDir = await litePackDir();
  const build = await ensureWorkersAssets({ facePack: { pack: "lite", dir: packDir }, outDir, maxBlobBytes: BLOB_LIMIT });
  expect(build.built).toBe(true);
  manifest = build.manifest;
  app = new Hono();
  app.route("/", webAppRoutes(workersWebAppAssets(folderFetcher(outDir), { pack: "lite" })));
}, 180_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe("the Workers asset folder", () => {
  it("keeps every blob under the limit, gzips the wasm, and cuts what is still larger into parts", () => {
    const blobs = readdirSync(join(outDir, "blobs"));
    expect(blobs.length).toBeGreaterThan(0);
    for (const name of blobs) expect(statSync(join(outDir, "blobs", name)).size, name).toBeLessThanOrEqual(BLOB_LIMIT);
    const wasm = manifest.ort[WASM]!;
    expect(wasm.encoding).toBe("gzip");
    expect(wasm.blobs.length).toBeGreaterThan(1);
    expect(manifest.facePack.files.map((f) => f.name).sort()).toEqual(Object.keys(LITE_PACK_SHA256).sort());
  });

  it("is not rebuilt when nothing it reads changed", async () => {
    const again = await ensureWorkersAssets({ facePack: { pack: "lite", dir: packDir }, outDir, maxBlobBytes: BLOB_LIMIT });
    expect(again.built).toBe(false);
    expect(again.manifest).toEqual(manifest);
  });

  it("serves a file stored in parts joined: gzip-encoded to a client that takes it, decoded to one that does not", async () => {
    const { dir, version } = onnxruntimeWebDist();
    const original = await readFile(join(dir, WASM));
    const gz = await app.request(`/ort/${version}/${WASM}`, { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toBe("Accept-Encoding");
    expect(sha256(gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toBe(sha256(original));
    const plain = await app.request(`/ort/${version}/${WASM}`, { headers: { "accept-encoding": "gzip;q=0, identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(sha256(await plain.arrayBuffer())).toBe(sha256(original));
  });

  it("serves each face model under its pin, byte for byte", async () => {
    for (const f of manifest.facePack.files) {
      const res = await app.request(`/face-models/${f.sha256}/${f.name}`);
      expect(res.status, f.name).toBe(200);
      const body = res.headers.get("content-encoding") === "gzip" ? gunzipSync(new Uint8Array(await res.arrayBuffer())) : new Uint8Array(await res.arrayBuffer());
      expect(sha256(body)).toBe(LITE_PACK_SHA256[f.name]);
    }
  });

  it("refuses with 503 web_app_unavailable a folder built for another pack, and a folder never built", async () => {
    const otherPack = workersWebAppAssets(folderFetcher(outDir), { pack: "antelopev2" });
    const mismatch = await otherPack.facePack().catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(ApiError);
    expect(mismatch).toMatchObject({ status: 503, code: "web_app_unavailable" });
    expect((mismatch as ApiError).detail).toMatch(/lite face pack.*antelopev2/);
    const empty = mkdtempSync(join(tmpdir(), "workers-assets-empty-"));
    try {
      const missing = await workersWebAppAssets(folderFetcher(empty), { pack: "lite" })
        .page()
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ status: 503, code: "web_app_unavailable" });
      expect((missing as ApiError).detail).toMatch(/workers-assets-build/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("acceptsGzip", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, GZIP;q=0.5", true],
    ["*", true],
    ["gzip;q=0", false],
    ["gzip; q=0.000", false],
    ["identity", false],
    ["", false],
    [undefined, false],
  ])("%j -> %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe("rebuilding the Workers asset folder", () => {
  it("keeps the replaced build's blobs (a running Worker may still read its manifest) and drops older ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "workers-assets-rebuild-"));
    try {
      // Each limit cuts the wasm into different parts, so each build has blobs of its own.
      const build = async (limit: number) => {
        const { manifest } = await ensureWorkersAssets({ facePack: { pack: "lite", dir: packDir }, outDir: dir, maxBlobBytes: limit });
        return new Set(JSON.stringify(manifest).match(/[0-9a-f]{64}\.bin/g));
      };
      const onDisk = () => new Set(readdirSync(join(dir, "blobs")));
      const first = await build(BLOB_LIMIT);
      const second = await build(BLOB_LIMIT - 4096);
      expect([...first].filter((b) => !onDisk().has(b))).toEqual([]);
      const third = await build(BLOB_LIMIT - 8192);
      const kept = onDisk();
      expect([...second].filter((b) => !kept.has(b))).toEqual([]);
      const firstOnly = [...first].filter((b) => !second.has(b) && !third.has(b));
      expect(firstOnly.length).toBeGreaterThan(0);
      expect(firstOnly.filter((b) => kept.has(b))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
