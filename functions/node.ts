/**
 * The Node entry: SQLite stores under DATA_DIR (an LRU in front of identities), result images as
 * files, the in-process face analyser, the runtime at RUNTIME_URL, served on loopback by
 * @hono/node-server. startEdge() is what `npm start` and tests call.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import type { FaceAnalyser } from "../shared/face/face-analyser.ts";
import { createEdgeApp, type EdgeApp } from "./app.ts";
import type { DecodePhoto } from "./photos/decode-photo.ts";
import { createNodeRuntimeClient } from "./runtime-client/node-runtime-client.ts";
import { createCachedIdentityStore } from "./stores/cached/identity-store.ts";
import { createSqliteStores } from "./stores/sqlite/index.ts";

export interface StartEdgeOptions {
  readonly dataDir: string;
  readonly runtimeUrl: string;
  readonly runtimeToken: string;
  /** Called once at start; swap in any FaceAnalyser (the lite pack in tests, antelopev2 in production). */
  readonly createFaceAnalyser: () => FaceAnalyser | Promise<FaceAnalyser>;
  readonly decodePhoto: DecodePhoto;
  readonly port?: number;
  readonly hostname?: string;
  readonly identityCacheEntries?: number;
  readonly log?: (message: string, error?: unknown) => void;
}

export interface RunningEdge {
  readonly url: string;
  readonly port: number;
  readonly edge: EdgeApp;
  close(): Promise<void>;
}

export async function startEdge(opts: StartEdgeOptions): Promise<RunningEdge> {
  const log = opts.log ?? ((m: string, e?: unknown) => (e === undefined ? console.error(m) : console.error(m, e)));
  const { stores: sqlite, db } = createSqliteStores(opts.dataDir);
  const interrupted = await sqlite.generations.failUnfinished(
    "edge_restarted",
    "the edge restarted while this generation ran",
    Date.now(),
  );
  if (interrupted > 0) log(`marked ${interrupted} unfinished generation(s) from a previous run as failed`);
  const faceAnalyser = await opts.createFaceAnalyser();
  const runtime = createNodeRuntimeClient({ baseUrl: opts.runtimeUrl, token: opts.runtimeToken });
  const edge = createEdgeApp({
    stores: { ...sqlite, identities: createCachedIdentityStore(sqlite.identities, opts.identityCacheEntries ?? 10_000) },
    faceAnalyser,
    decodePhoto: opts.decodePhoto,
    runtime,
    log,
  });
  const hostname = opts.hostname ?? "127.0.0.1";
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serve({ fetch: edge.app.fetch, port: opts.port ?? 8787, hostname }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
    s.once("error", reject);
  });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostname}:${port}`,
    port,
    edge,
    close() {
      closing ??= (async () => {
        await edge.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Streams still open (SSE clients) must not hold shutdown forever.
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        runtime.close();
        await faceAnalyser.close();
        db.close();
      })();
      return closing;
    },
  };
}

/**
 * Direct run (`tsx functions/node.ts`): env PORT, HOST, DATA_DIR, RUNTIME_URL, RUNTIME_TOKEN.
 * The face analyser and photo decoder come from the face-analysis modules.
 */
async function main(): Promise<void> {
  const token = process.env.RUNTIME_TOKEN;
  if (!token) throw new Error("RUNTIME_TOKEN must be set (the secret the runtime expects)");
  // Wiring point for shared/face and shared/image (see the report: names to confirm once they land).
  const face = (await import(process.env.FACE_ANALYSER_MODULE ?? "../shared/face/index.ts")) as {
    createFaceAnalyser: () => FaceAnalyser | Promise<FaceAnalyser>;
  };
  const image = (await import(process.env.PHOTO_DECODER_MODULE ?? "../shared/image/index.ts")) as {
    decodePhoto: DecodePhoto;
  };
  const running = await startEdge({
    dataDir: process.env.DATA_DIR ?? "data",
    runtimeUrl: process.env.RUNTIME_URL ?? "http://127.0.0.1:8788",
    runtimeToken: token,
    createFaceAnalyser: face.createFaceAnalyser,
    decodePhoto: image.decodePhoto,
    port: Number(process.env.PORT ?? 8787),
    hostname: process.env.HOST ?? "127.0.0.1",
  });
  console.log(`edge listening on ${running.url} (docs: ${running.url}/docs)`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
