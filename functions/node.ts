/**
 * The Node entry: SQLite stores under DATA_DIR (an LRU in front of identities), result images as
 * files, the in-process face analyser, the runtime at RUNTIME_URL, served on loopback by
 * @hono/node-server. startEdge() is what `npm start` and tests call.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { createEdgeApp, type EdgeApp } from "./app.ts";
import { createFaceKit, describeFaceKit, faceKitConfigFromEnv, type FaceKit } from "./face-kit.ts";
import { createNodeRuntimeClient } from "./runtime-client/node-runtime-client.ts";
import { createCachedApiKeyStore } from "./stores/cached/api-key-store.ts";
import { createCachedIdentityStore } from "./stores/cached/identity-store.ts";
import { sqliteChangeProbe } from "./stores/sqlite/change-probe.ts";
import { createSqliteStores } from "./stores/sqlite/index.ts";

export interface StartEdgeOptions {
  readonly dataDir: string;
  readonly runtimeUrl: string;
  readonly runtimeToken: string;
  /** Photo intake and analyser (see face-kit.ts); the analyser is created once at start and closed with the edge. */
  readonly faceKit: FaceKit;
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
  // What is open so far, closed last-opened first on shutdown, and on a failed start too (a
  // missing face pack must not leave worker threads or the database open).
  const opened: (() => void | Promise<void>)[] = [];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const faceAnalyser = await opts.faceKit.createFaceAnalyser();
    opened.push(() => faceAnalyser.close());
    const { stores: sqlite, db } = createSqliteStores(opts.dataDir);
    opened.push(() => {
      db.close();
    });
    const interrupted = await sqlite.generations.failUnfinished(
      "edge_restarted",
      "the edge restarted while this generation ran",
      Date.now(),
    );
    if (interrupted > 0) log(`marked ${interrupted} unfinished generation(s) from a previous run as failed`);
    const runtime = createNodeRuntimeClient({ baseUrl: opts.runtimeUrl, token: opts.runtimeToken });
    opened.push(() => runtime.close());
    const edge = createEdgeApp({
      stores: {
        ...sqlite,
        identities: createCachedIdentityStore(sqlite.identities, opts.identityCacheEntries ?? 10_000),
        // The keys CLI revokes from another process: data_version tells this connection so.
        apiKeys: createCachedApiKeyStore(sqlite.apiKeys, { maxEntries: 10_000, changedElsewhere: sqliteChangeProbe(db) }),
      },
      faceAnalyser,
      decodePhoto: opts.faceKit.decodePhoto,
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
    opened.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Streams still open (SSE clients) must not hold shutdown forever.
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    );
    // Closed before the server: running generations get their error event while their streams are open.
    opened.push(() => edge.close());
    let closing: Promise<void> | undefined;
    return {
      url: `http://${hostname}:${port}`,
      port,
      edge,
      close() {
        closing ??= closeOpened();
        return closing;
      },
    };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}

/**
 * Direct run (`tsx functions/node.ts`): env PORT, HOST, DATA_DIR, RUNTIME_URL, RUNTIME_TOKEN, and
 * the face kit's (FACE_PACK, FACE_PACK_DIR, FACE_WORKERS, PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS).
 */
async function main(): Promise<void> {
  const token = process.env.RUNTIME_TOKEN;
  if (!token) throw new Error("RUNTIME_TOKEN must be set (the secret the runtime expects)");
  const faceConfig = faceKitConfigFromEnv(process.env);
  const running = await startEdge({
    dataDir: process.env.DATA_DIR ?? "data",
    runtimeUrl: process.env.RUNTIME_URL ?? "http://127.0.0.1:8788",
    runtimeToken: token,
    faceKit: createFaceKit(faceConfig),
    port: Number(process.env.PORT ?? 8787),
    hostname: process.env.HOST ?? "127.0.0.1",
  });
  console.log(`edge listening on ${running.url} (docs: ${running.url}/docs); ${describeFaceKit(faceConfig)}`);
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
