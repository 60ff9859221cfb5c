/**
 * The Node edge, wired: SQLite stores under the data folder (an LRU in front of identities), result
 * images as files, the in-process face analyser, the runtime over HTTP, served by @hono/node-server.
 * startEdge() is what functions/node.ts, `npm start` and tests call.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { answerClientErrorsWithProblems } from "./client-error.ts";
import { createEdgeApp, type EdgeApp } from "../../app.ts";
import type { WebAppAssets } from "../../routes/web-app.ts";
import type { FaceKit } from "./face-kit.ts";
import { createNodeRuntimeClient } from "./node-runtime-client.ts";
import { runtimeHealthProbe } from "../../routes/meta.ts";
import { nodeSwaggerUiAssets } from "./swagger-ui-assets.ts";
import { nodeResolveHost } from "./resolve-host.ts";
import { createSqliteWebhookOutboxStore } from "./sqlite/webhook-outbox-store.ts";
import { randomId } from "../../crypto/random-id.ts";
import { edgeWebhooksOf, WebhookDispatcher } from "../../webhooks/dispatcher.ts";
import { createNodePhotoAnalyser } from "./photo-analyser.ts";
import { createCachedApiKeyStore } from "../../stores/cached/api-key-store.ts";
import { createCachedIdentityStore } from "../../stores/cached/identity-store.ts";
import { sqliteChangeProbe } from "./sqlite/change-probe.ts";
import { createSqliteStores } from "./sqlite/index.ts";

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
  /** Origins allowed to call from a browser (CORS_ORIGINS). */
  readonly corsOrigins?: readonly string[];
  /** Deliver webhooks to private, loopback or link-local hosts (WEBHOOK_ALLOW_PRIVATE=1; tests). */
  readonly webhookAllowPrivate?: boolean;
  /** First webhook retry after about this long, doubling per attempt (default 5 s). */
  readonly webhookRetryBaseMs?: number;
  /** One JSON access-log line per request (functions/node.ts: stdout). */
  readonly accessLog?: (line: string) => void;
  /** The web app's files for `/` (web/server/node-web-assets.ts); omitted: no web app. */
  readonly webApp?: WebAppAssets;
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
    const photoAnalyser = createNodePhotoAnalyser(opts.faceKit.decodePhoto, faceAnalyser);
    opened.push(() => photoAnalyser.close());
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
    // Webhooks: the outbox is in the same SQLite file, so what was pending before a restart goes out after it.
    const allowPrivate = opts.webhookAllowPrivate ?? process.env.WEBHOOK_ALLOW_PRIVATE === "1";
    const dispatcher = new WebhookDispatcher({
      outbox: createSqliteWebhookOutboxStore(db),
      apiKeys: sqlite.apiKeys,
      resolveHost: nodeResolveHost,
      allowPrivate,
      newId: randomId,
      log,
      ...(opts.webhookRetryBaseMs !== undefined ? { retryBaseMs: opts.webhookRetryBaseMs } : {}),
    });
    // Generations failed above as edge_restarted still owe their webhook.
    await dispatcher.recoverArmed(sqlite.generations);
    dispatcher.start();
    opened.push(() => dispatcher.stop());
    // The keys CLI revokes (and rotates webhook secrets) from another process: data_version tells this connection so.
    const apiKeys = createCachedApiKeyStore(sqlite.apiKeys, { maxEntries: 10_000, changedElsewhere: sqliteChangeProbe(db) });
    const edge = createEdgeApp({
      stores: {
        ...sqlite,
        identities: createCachedIdentityStore(sqlite.identities, opts.identityCacheEntries ?? 10_000),
        apiKeys,
      },
      photoAnalyser,
      // Precomputed faces (analysed on the device) are taken from the pack this edge analyses with.
      embeddingModel: faceAnalyser.pack,
      ...(opts.webApp ? { webApp: opts.webApp } : {}),
      runtime,
      runtimeHealth: runtimeHealthProbe(opts.runtimeUrl),
      log,
      swaggerUiAssets: nodeSwaggerUiAssets(),
      webhooks: edgeWebhooksOf(dispatcher, nodeResolveHost, allowPrivate),
      ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}),
      ...(opts.accessLog ? { accessLog: opts.accessLog } : {}),
    });
    const hostname = opts.hostname ?? "127.0.0.1";
    const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
      const s = serve({ fetch: edge.app.fetch, port: opts.port ?? 8787, hostname }, (info: AddressInfo) =>
        resolve({ server: s, port: info.port }),
      );
      s.once("error", reject);
      answerClientErrorsWithProblems(s as import("node:http").Server);
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
