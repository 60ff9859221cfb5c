/**
 * The web app's bytes on Workers: the asset folder web/server/workers-assets-build.ts writes (layout
 * in web-assets-manifest.ts), read through the ASSETS binding. A file kept gzip-compressed is handed
 * to the route as such (it sends it with Content-Encoding: gzip); a file cut into parts is streamed
 * part after part, never held whole in the isolate's memory.
 *
 * The manifest is read again after a few seconds, so `wrangler dev` serves a rebuilt folder without
 * a restart; a deployed folder never changes under a Worker version.
 */
import type { FacePackName } from "../../../shared/face/face-analyser.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { WebAppAssets, WebAsset } from "../../routes/web-app.ts";
import { WORKERS_ASSETS_MANIFEST, WorkersAssetsManifestSchema, type StoredFile, type WorkersAssetsManifest } from "./web-assets-manifest.ts";

/** What the Worker needs of its ASSETS binding (a Fetcher). */
export interface AssetFetcher {
  fetch(request: Request): Promise<Response>;
}

export interface WorkersWebAssetsOptions {
  /** The face pack of this edge's identities: the folder must hold the same one. */
  readonly pack: FacePackName;
  /** How long a read manifest is used (default 5 s). */
  readonly manifestTtlMs?: number;
  readonly clock?: () => number;
}

const ORIGIN = "https://assets.invalid/";

function unavailable(detail: string): ApiError {
  return new ApiError(503, "web_app_unavailable", "Web app unavailable", { detail, safeDetail: true });
}

export function workersWebAppAssets(assets: AssetFetcher, options: WorkersWebAssetsOptions): WebAppAssets {
  const ttl = options.manifestTtlMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  let cached: { at: number; manifest: Promise<WorkersAssetsManifest> } | undefined;

  const get = async (path: string): Promise<Response> => assets.fetch(new Request(new URL(path, ORIGIN)));

  const readManifest = async (): Promise<WorkersAssetsManifest> => {
    const res = await get(WORKERS_ASSETS_MANIFEST);
    if (res.status === 404) {
      await res.body?.cancel();
      throw unavailable("the Worker's web-app assets were not built: run `npx tsx web/server/workers-assets-build.ts` before `wrangler deploy`");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`reading ${WORKERS_ASSETS_MANIFEST} from ASSETS answered ${res.status}`);
    }
    const parsed = WorkersAssetsManifestSchema.safeParse(await res.json());
    if (!parsed.success) throw unavailable(`the Worker's web-app assets are from another build format; rebuild them`);
    if (parsed.data.facePack.pack !== options.pack) {
      throw unavailable(`the Worker's web-app assets hold the ${parsed.data.facePack.pack} face pack but this edge takes ${options.pack} faces; rebuild them with FACE_PACK=${options.pack}`);
    }
    return parsed.data;
  };
  const manifest = (): Promise<WorkersAssetsManifest> => {
    const now = clock();
    if (!cached || now - cached.at >= ttl) {
      const entry = { at: now, manifest: readManifest() };
      // A failed read is not kept: the next request tries again.
      entry.manifest.catch(() => cached === entry && (cached = undefined));
      cached = entry;
    }
    return cached.manifest;
  };

  const blob = async (path: string): Promise<ReadableStream<Uint8Array>> => {
    const res = await get(path);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`web-app asset ${path} answered ${res.status}`);
    }
    return res.body;
  };

  const open = async (file: StoredFile): Promise<WebAsset> => {
    const [first, ...rest] = file.blobs;
    const head = await blob(first!);
    let body = head;
    if (rest.length > 0) {
      // Parts in order, each fetched when the one before it is drained.
      let reader = head.getReader();
      let next = 0;
      body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          for (;;) {
            const { done, value } = await reader.read();
            if (!done) return controller.enqueue(value);
            if (next === rest.length) return controller.close();
            reader = (await blob(rest[next++]!)).getReader();
          }
        },
        cancel: (reason) => reader.cancel(reason),
      });
    }
    return { body, contentType: file.contentType, ...(file.encoding === "gzip" ? { contentEncoding: "gzip" as const } : {}) };
  };

  return {
    page: async () => open((await manifest()).page),
    appFile: async (name) => {
      const { app } = await manifest();
      return Object.hasOwn(app, name) ? open(app[name]!) : null;
    },
    ortVersion: async () => (await manifest()).ortVersion,
    ortFile: async (name) => {
      const { ort } = await manifest();
      return Object.hasOwn(ort, name) ? open(ort[name]!) : null;
    },
    facePack: async () => {
      const { pack, files } = (await manifest()).facePack;
      return { pack, files: files.map(({ name, sha256, bytes }) => ({ name, sha256, bytes })) };
    },
    faceModel: async (name) => {
      const file = (await manifest()).facePack.files.find((f) => f.name === name);
      return file ? open(file.stored) : null;
    },
  };
}
