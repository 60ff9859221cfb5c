/**
 * Writes the Workers edge's static-asset folder (wrangler.toml `[assets]`, default
 * dist/workers-assets): the built web app, onnxruntime-web's files the page loads and the face
 * pack's models, laid out as functions/adapters/workers/web-assets-manifest.ts describes (blobs named
 * by their sha256, gzip-compressed where that pays, none over Workers' 25 MiB, and manifest.json).
 *
 * Rebuilt only when something it read changed (the web app is rebuilt first when its sources
 * changed); blobs are written beside their final name and renamed, and manifest.json last, so a Worker
 * reading the folder meanwhile sees the old build or the new one, never half of one.
 *
 * `npm start -- --edge=workers` builds it before wrangler dev. Before `wrangler deploy`:
 *   FACE_PACK=lite npx tsx web/server/workers-assets-build.ts
 * (FACE_PACK: the runtime's face pack, lite | antelopev2, as wrangler.toml's FACE_PACK var says;
 * FACE_PACK_DIR: its folder when not the usual one).
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import {
  WORKERS_ASSET_MAX_BYTES,
  WORKERS_ASSETS_FORMAT,
  WORKERS_ASSETS_MANIFEST,
  WorkersAssetsManifestSchema,
  type StoredFile,
  type WorkersAssetsManifest,
} from "../../functions/adapters/workers/web-assets-manifest.ts";
import { FACE_PACKS } from "../../shared/contract/limits.ts";
import type { FacePackName } from "../../shared/face/face-analyser.ts";
import type { FacePackConfig } from "../../shared/face/face-pack-config.ts";
import { DEFAULT_FACE_PACK_DIRS } from "../../shared/face/pack-dirs.ts";
import { DEFAULT_WEB_OUT_DIR, ensureWebApp } from "../build.ts";
import { contentType, facePackFileNames, facePackFileSha256, onnxruntimeWebDist, ORT_FILES } from "./node-web-assets.ts";

export const DEFAULT_WORKERS_ASSETS_DIR = fileURLToPath(new URL("../../dist/workers-assets/", import.meta.url));

export interface WorkersAssetsBuildOptions {
  /** The face pack the Worker serves: the runtime's, the one whose embeddings the edge accepts. */
  readonly facePack: FacePackConfig;
  /** Default dist/workers-assets. */
  readonly outDir?: string;
  /** The built web app; default dist/web. */
  readonly webOutDir?: string;
  /** Largest blob; default Workers' limit (25 MiB). */
  readonly maxBlobBytes?: number;
}

export interface WorkersAssetsBuild {
  readonly manifest: WorkersAssetsManifest;
  /** False when the folder was already up to date. */
  readonly built: boolean;
}

/** gzip is kept only where it saves at least this share (the wasm binary: 75%; ONNX weights: little). */
const MIN_GZIP_SAVING = 0.1;
/** Not uploaded by wrangler: blobs and the manifest while they are written. */
const TEMP_SUFFIX = ".tmp-";

interface Source {
  readonly kind: "page" | "app" | "ort" | "face";
  readonly name: string;
  readonly path: string;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}${TEMP_SUFFIX}${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function readManifest(outDir: string): Promise<WorkersAssetsManifest | undefined> {
  try {
    const parsed = WorkersAssetsManifestSchema.safeParse(JSON.parse(await readFile(join(outDir, WORKERS_ASSETS_MANIFEST), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function blobsOf(manifest: WorkersAssetsManifest): string[] {
  const files = [manifest.page, ...Object.values(manifest.app), ...Object.values(manifest.ort), ...manifest.facePack.files.map((f) => f.stored)];
  return files.flatMap((f) => f.blobs);
}

/** Stores one file as blobs (gzip when it pays, cut at maxBlobBytes) and says how. */
async function store(outDir: string, bytes: Uint8Array, type: string, maxBlobBytes: number): Promise<StoredFile> {
  const gz = new Uint8Array(await promisify(gzip)(bytes, { level: 9 }));
  const useGzip = gz.byteLength <= bytes.byteLength * (1 - MIN_GZIP_SAVING);
  const data = useGzip ? gz : bytes;
  const blobs: string[] = [];
  for (let at = 0; at < data.byteLength || blobs.length === 0; at += maxBlobBytes) {
    const part = data.subarray(at, Math.min(at + maxBlobBytes, data.byteLength));
    const name = `blobs/${sha256(part)}.bin`;
    if (!existsSync(join(outDir, name))) await writeAtomically(join(outDir, name), part);
    blobs.push(name);
  }
  return { contentType: type, encoding: useGzip ? "gzip" : "identity", bytes: bytes.byteLength, sha256: sha256(bytes), blobs };
}

/** Builds the folder when missing or out of date; the manifest it holds. */
export async function ensureWorkersAssets(options: WorkersAssetsBuildOptions): Promise<WorkersAssetsBuild> {
  const outDir = options.outDir ?? DEFAULT_WORKERS_ASSETS_DIR;
  const maxBlobBytes = options.maxBlobBytes ?? WORKERS_ASSET_MAX_BYTES;
  if (!(maxBlobBytes > 0 && maxBlobBytes <= WORKERS_ASSET_MAX_BYTES)) throw new RangeError(`maxBlobBytes must be in 1..${WORKERS_ASSET_MAX_BYTES}`);
  const { pack, dir: packDir } = options.facePack;
  const webOutDir = options.webOutDir ?? DEFAULT_WEB_OUT_DIR;
  const web = await ensureWebApp(webOutDir);
  const ort = onnxruntimeWebDist();

  const sources: Source[] = [
    { kind: "page", name: "index.html", path: join(webOutDir, "index.html") },
    ...web.files.filter((f) => f.name !== "index.html" && f.name !== "build.json").map((f) => ({ kind: "app" as const, name: f.name, path: join(webOutDir, f.name) })),
    ...[...ORT_FILES].map((name) => ({ kind: "ort" as const, name, path: join(ort.dir, name) })),
    // As on the Node edge, a pack file not on disk is not listed (the page then says the pack is incomplete).
    ...facePackFileNames(pack)
      .map((name) => ({ kind: "face" as const, name, path: join(packDir, name) }))
      .filter((s) => existsSync(s.path)),
  ];
  const source = sha256(
    new TextEncoder().encode(
      JSON.stringify({
        format: WORKERS_ASSETS_FORMAT,
        maxBlobBytes,
        pack,
        ortVersion: ort.version,
        files: sources.map((s) => {
          const st = statSync(s.path);
          return [s.kind, s.name, s.path, st.size, st.mtimeMs];
        }),
      }),
    ),
  );

  const previous = await readManifest(outDir);
  if (previous?.source === source && blobsOf(previous).every((b) => existsSync(join(outDir, b)))) return { manifest: previous, built: false };

  await mkdir(join(outDir, "blobs"), { recursive: true });
  const stored = await Promise.all(
    sources.map(async (s) => {
      const bytes = new Uint8Array(await readFile(s.path));
      return { source: s, bytes: bytes.byteLength, sha256: s.kind === "face" ? facePackFileSha256(pack, s.name, bytes) : "", file: await store(outDir, bytes, contentType(s.name), maxBlobBytes) };
    }),
  );
  const byKind = (kind: Source["kind"]) => stored.filter((s) => s.source.kind === kind);
  const manifest: WorkersAssetsManifest = {
    format: WORKERS_ASSETS_FORMAT,
    source,
    ortVersion: ort.version,
    page: byKind("page")[0]!.file,
    app: Object.fromEntries(byKind("app").map((s) => [s.source.name, s.file])),
    ort: Object.fromEntries(byKind("ort").map((s) => [s.source.name, s.file])),
    facePack: {
      pack,
      files: byKind("face").map((s) => ({
        name: s.source.name,
        sha256: s.sha256,
        bytes: s.bytes,
        // Served as application/octet-stream, as on the Node edge.
        stored: { ...s.file, contentType: "application/octet-stream" },
      })),
    },
  };
  await writeAtomically(join(outDir, WORKERS_ASSETS_MANIFEST), JSON.stringify(manifest, null, 2));

  // Blobs of earlier builds, and writes a killed build left behind. The build just replaced keeps its
  // blobs until the next one: a running Worker holds its manifest for a few seconds yet.
  const keep = new Set([...blobsOf(manifest), ...(previous ? blobsOf(previous) : [])].map((b) => b.slice("blobs/".length)));
  for (const name of await readdir(join(outDir, "blobs"))) {
    const path = join(outDir, "blobs", name);
    const stale = name.includes(TEMP_SUFFIX) ? Date.now() - (await stat(path)).mtimeMs > 10 * 60_000 : !keep.has(name);
    if (stale) await rm(path, { force: true });
  }
  return { manifest, built: true };
}

/** The face pack from FACE_PACK (default lite) and FACE_PACK_DIR (default: the pack's usual folder). */
export function facePackFromEnv(env: NodeJS.ProcessEnv = process.env): FacePackConfig {
  const pack = env.FACE_PACK?.trim() || "lite";
  if (!(FACE_PACKS as readonly string[]).includes(pack)) throw new Error(`FACE_PACK=${JSON.stringify(pack)}: expected one of ${FACE_PACKS.join(", ")}`);
  const dir = env.FACE_PACK_DIR?.trim();
  return { pack: pack as FacePackName, dir: dir ? resolve(dir) : DEFAULT_FACE_PACK_DIRS[pack as FacePackName] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  ensureWorkersAssets({ facePack: facePackFromEnv() })
    .then(({ manifest, built }) => {
      const faces = manifest.facePack.files.map((f) => f.name).join(", ") || "none";
      console.log(`${built ? "built" : "up to date"}: ${DEFAULT_WORKERS_ASSETS_DIR} (face pack ${manifest.facePack.pack}: ${faces}; ${Date.now() - started} ms)`);
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
