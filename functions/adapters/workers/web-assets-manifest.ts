/**
 * The Workers edge's static-asset folder (wrangler.toml `[assets]`, built by
 * web/server/workers-assets-build.ts): what the Worker reads and what the build writes, in one place.
 *
 * Workers refuses a static asset over 25 MiB; onnxruntime-web's wasm binary is 27 MB. So every file
 * is stored as one or more blobs: gzip-compressed when that saves a tenth or more (the wasm: 6 MB),
 * and cut into parts of at most 25 MiB when it is still larger (antelopev2's recognizer), named by
 * the sha256 of their bytes. manifest.json maps each served file to its blobs. Nothing in the folder
 * is reachable by URL: the Worker runs first (`run_worker_first`) and answers the web app's routes
 * itself, with the same paths and headers as the Node edge.
 */
import { z } from "zod";
import { FACE_PACKS } from "../../../shared/contract/limits.ts";

/** Workers' limit on one static asset. */
export const WORKERS_ASSET_MAX_BYTES = 25 * 1024 * 1024;
/** The manifest's path inside the asset folder. */
export const WORKERS_ASSETS_MANIFEST = "manifest.json";
export const WORKERS_ASSETS_FORMAT = 1;

const BLOB = /^blobs\/[0-9a-f]{64}\.bin$/;

export const StoredFileSchema = z.object({
  contentType: z.string().min(1),
  /** "gzip": the blobs, joined, are the file gzip-compressed. */
  encoding: z.enum(["identity", "gzip"]),
  /** The file's own size and sha256 (before compression). */
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Asset paths, in order. */
  blobs: z.array(z.string().regex(BLOB)).min(1),
});
export type StoredFile = z.infer<typeof StoredFileSchema>;

export const WorkersAssetsManifestSchema = z.object({
  format: z.literal(WORKERS_ASSETS_FORMAT),
  /** What the build read (pack, file sizes and times): the same key again means nothing to rebuild. */
  source: z.string(),
  ortVersion: z.string().regex(/^[0-9A-Za-z.+-]+$/),
  page: StoredFileSchema,
  /** The built app's files by name (hashed bundle, stylesheet, source maps, licences). */
  app: z.record(z.string(), StoredFileSchema),
  /** The ORT web runtime's files the page loads (glue and wasm), by name. */
  ort: z.record(z.string(), StoredFileSchema),
  facePack: z.object({
    pack: z.enum(FACE_PACKS),
    files: z.array(z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), stored: StoredFileSchema })),
  }),
});
export type WorkersAssetsManifest = z.infer<typeof WorkersAssetsManifestSchema>;
