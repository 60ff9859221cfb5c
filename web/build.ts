/**
 * Builds the web app (web/app, TypeScript) with esbuild into dist/web: content-hashed JS and CSS
 * (served as immutable), index.html pointing at them, and build.json with the file sizes.
 * onnxruntime-web is bundled as its `webgpu` build with its wasm glue (.mjs) and binary (.wasm)
 * left out: the edge serves those two from node_modules, so no CDN is involved.
 *
 * `npm start` calls buildWebApp() at every start (under a second); the edge's web-app assets call
 * ensureWebApp() so a bare edge or a test builds it once when dist/web is missing.
 */
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_SOURCE_DIR = fileURLToPath(new URL("./app/", import.meta.url));
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL("../dist/web/", import.meta.url));

export interface WebBuildFile {
  readonly name: string;
  readonly bytes: number;
}

export interface WebBuildManifest {
  /** index.html's script and stylesheet, relative to the output folder. */
  readonly script: string;
  readonly stylesheet: string;
  readonly files: readonly WebBuildFile[];
  /** Every source file the bundle read (repository-relative) with its size and mtime when built: a change means a rebuild. */
  readonly inputs: Readonly<Record<string, string>>;
}

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

function stamp(path: string): string {
  try {
    const st = statSync(join(REPO_ROOT, path));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return "missing";
  }
}

export async function buildWebApp(outDir: string = DEFAULT_WEB_OUT_DIR): Promise<WebBuildManifest> {
  // Built beside the destination and swapped in, so an edge serving the folder never sees half a build.
  const staging = `${outDir.replace(/\/$/, "")}.building-${process.pid}-${Date.now()}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const result = await build({
      entryPoints: [join(WEB_SOURCE_DIR, "main.ts"), join(WEB_SOURCE_DIR, "styles.css")],
      outdir: staging,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["chrome113", "edge113", "firefox121", "safari16.4"],
      minify: true,
      sourcemap: "linked",
      entryNames: "[name]-[hash]",
      // onnxruntime-web's own switch: import the wasm glue at run time (from env.wasm.wasmPaths) instead of inlining it.
      conditions: ["onnxruntime-web-use-extern-wasm"],
      metafile: true,
      absWorkingDir: REPO_ROOT,
      logLevel: "silent",
      legalComments: "linked",
    });
    const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
    const script = outputs.find((f) => /^main-.*\.js$/.test(f));
    const stylesheet = outputs.find((f) => /^styles-.*\.css$/.test(f));
    if (!script || !stylesheet) throw new Error(`web build: no main script or stylesheet among ${outputs.join(", ")}`);
    const html = readFileSync(join(WEB_SOURCE_DIR, "index.html"), "utf8").replace("%SCRIPT%", `/app/${script}`).replace("%STYLESHEET%", `/app/${stylesheet}`);
    writeFileSync(join(staging, "index.html"), html);
    const files = [...outputs, "index.html"].sort().map((name) => ({ name, bytes: statSync(join(staging, name)).size }));
    const sources = [...Object.keys(result.metafile.inputs), "web/app/index.html"];
    const manifest: WebBuildManifest = { script, stylesheet, files, inputs: Object.fromEntries(sources.map((p) => [p, stamp(p)])) };
    writeFileSync(join(staging, "build.json"), JSON.stringify(manifest, null, 2));
    mkdirSync(dirname(outDir.replace(/\/$/, "")), { recursive: true });
    const old = `${outDir.replace(/\/$/, "")}.old-${process.pid}-${Date.now()}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(staging, outDir);
    rmSync(old, { recursive: true, force: true });
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The built app's manifest, building it first when the folder has none or a source changed since. */
export async function ensureWebApp(outDir: string = DEFAULT_WEB_OUT_DIR): Promise<WebBuildManifest> {
  const path = join(outDir, "build.json");
  if (existsSync(path)) {
    try {
      const manifest = JSON.parse(readFileSync(path, "utf8")) as WebBuildManifest;
      if (manifest.inputs && Object.entries(manifest.inputs).every(([p, s]) => stamp(p) === s)) return manifest;
    } catch {
      // unreadable: rebuild
    }
  }
  return buildWebApp(outDir);
}
