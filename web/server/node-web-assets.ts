/**
 * The web app's bytes on Node: the built app from dist/web (built once here when missing),
 * onnxruntime-web's wasm files from node_modules, and the face pack's models from its folder.
 * Files are read once and kept in memory (the largest, the 27 MB wasm binary, only when asked for).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FacePackName } from "../../shared/face/face-analyser.ts";
import { ANTELOPEV2_FILES } from "../../shared/face/antelopev2/antelopev2-pipeline.ts";
import { LITE_PACK_SHA256 } from "../../shared/face/lite/lite-pack-manifest.ts";
import type { WebAppAssets, WebAsset, WebFacePackFile } from "../../functions/routes/web-app.ts";
import { DEFAULT_WEB_OUT_DIR, ensureWebApp } from "../build.ts";

export interface NodeWebAssetsOptions {
  /** The face pack the edge serves, and its folder. */
  readonly facePack: { readonly pack: FacePackName; readonly dir: string };
  /** The built app; default dist/web. */
  readonly outDir?: string;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

export function contentType(name: string): string {
  return CONTENT_TYPES[/\.[a-z]+$/.exec(name)?.[0] ?? ""] ?? "application/octet-stream";
}

/** onnxruntime-web's dist folder and version, found through Node's resolver (no fixed node_modules path). */
export function onnxruntimeWebDist(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("onnxruntime-web"));
  const pkg = JSON.parse(readFileSync(join(dir, "..", "package.json"), "utf8")) as { version: string };
  return { dir, version: pkg.version };
}

/** Only the files the `webgpu` build loads (it runs both its WebGPU and its wasm provider from them). */
export const ORT_FILES: ReadonlySet<string> = new Set(["ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm"]);

/** The files of a face pack the page loads. */
export function facePackFileNames(pack: FacePackName): string[] {
  return pack === "lite" ? Object.keys(LITE_PACK_SHA256) : [ANTELOPEV2_FILES.detector, ANTELOPEV2_FILES.recognizer];
}

/** The sha256 the page is told for a pack file: the lite pack's pins, so a damaged file on disk fails in the browser too. */
export function facePackFileSha256(pack: FacePackName, name: string, bytes: Uint8Array): string {
  return pack === "lite" ? LITE_PACK_SHA256[name]! : createHash("sha256").update(bytes).digest("hex");
}

export function nodeWebAppAssets(options: NodeWebAssetsOptions): WebAppAssets {
  const outDir = options.outDir ?? DEFAULT_WEB_OUT_DIR;
  const ort = onnxruntimeWebDist();
  const cache = new Map<string, Promise<Uint8Array | null>>();
  const cached = (path: string): Promise<Uint8Array | null> => {
    let p = cache.get(path);
    if (!p) {
      p = readFile(path).then(
        (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
        () => null,
      );
      cache.set(path, p);
      void p.then((b) => b === null && cache.delete(path));
    }
    return p;
  };
  let built: Promise<unknown> | null = null;
  const ensureBuilt = () => (built ??= ensureWebApp(outDir).catch((err: unknown) => ((built = null), Promise.reject(err))));
  const appAsset = async (name: string): Promise<WebAsset | null> => {
    await ensureBuilt();
    const body = await cached(join(outDir, name));
    return body && { body, contentType: contentType(name) };
  };

  const packFileNames = facePackFileNames(options.facePack.pack);
  let pack: Promise<{ pack: FacePackName; files: WebFacePackFile[] }> | null = null;
  const facePack = () =>
    (pack ??= (async () => {
      const files: WebFacePackFile[] = [];
      for (const name of packFileNames) {
        const path = join(options.facePack.dir, name);
        if (!existsSync(path)) continue;
        const bytes = (await cached(path))!;
        files.push({ name, sha256: facePackFileSha256(options.facePack.pack, name, bytes), bytes: bytes.byteLength });
      }
      return { pack: options.facePack.pack, files };
    })());

  return {
    page: async () => (await appAsset("index.html"))!,
    appFile: (name) => (name === "index.html" || name === "build.json" ? Promise.resolve(null) : appAsset(name)),
    ortVersion: () => Promise.resolve(ort.version),
    ortFile: async (name) => {
      if (!ORT_FILES.has(name)) return null;
      const body = await cached(join(ort.dir, name));
      return body && { body, contentType: contentType(name) };
    },
    facePack,
    faceModel: async (name) => {
      const body = (await facePack()).files.some((f) => f.name === name) ? await cached(join(options.facePack.dir, name)) : null;
      return body && { body, contentType: "application/octet-stream" };
    },
  };
}
