/**
 * The edge app on Workers: the core's createEdgeApp with the Worker's stores, the runtime's photo
 * analysis, and generations coordinated by one Durable Object each. Built once per isolate.
 */
import { createEdgeApp, type EdgeApp } from "../../app.ts";
import type { EdgeWebhooks } from "../../webhooks/dispatcher.ts";
import { createRuntimePhotoAnalyser } from "../runtime-photo-analyser.ts";
import { parseCorsOrigins } from "../../middleware/cors/index.ts";
import { runtimeHealthProbe } from "../../routes/meta.ts";
import { createFetchRuntimeClient } from "../../runtime-client/fetch-runtime-client.ts";
import type { WorkerEnv } from "./env.ts";
import { createDurableGenerationCoordinator } from "./generation-coordinator.ts";
import { createWorkerWebhooks } from "./durable-objects/webhook-dispatcher-object.ts";
import { createWorkerStores } from "./stores.ts";
import { workersWebAppAssets } from "./web-assets.ts";
import { FACE_PACKS, type FacePack } from "../../../shared/contract/limits.ts";

/** shared/image's default (25 MiB); set PHOTO_MAX_BYTES to the runtime's value when it differs. */
export const DEFAULT_PHOTO_MAX_BYTES = 25 * 1024 * 1024;
/** Every uploaded photo together; Workers' free and pro plans refuse request bodies over 100 MB. */
export const WORKER_MAX_IDENTITY_BODY_BYTES = 64 * 1024 * 1024;

export function createWorkerApp(env: WorkerEnv): EdgeApp {
  if (!env.RUNTIME_TOKEN) throw new Error("RUNTIME_TOKEN is not set (wrangler secret put RUNTIME_TOKEN; .dev.vars locally)");
  const runtime = createFetchRuntimeClient({ baseUrl: env.RUNTIME_URL, token: env.RUNTIME_TOKEN });
  const facePack = (env.FACE_PACK || "lite") as FacePack;
  if (!FACE_PACKS.includes(facePack)) throw new Error(`FACE_PACK=${JSON.stringify(env.FACE_PACK)}: expected one of ${FACE_PACKS.join(", ")}`);
  return createEdgeApp({
    stores: createWorkerStores(env),
    photoAnalyser: createRuntimePhotoAnalyser({
      baseUrl: env.RUNTIME_URL,
      token: env.RUNTIME_TOKEN,
      maxBytes: Number(env.PHOTO_MAX_BYTES ?? DEFAULT_PHOTO_MAX_BYTES),
    }),
    runtime,
    coordinator: createDurableGenerationCoordinator(env.GENERATION),
    maxIdentityBodyBytes: WORKER_MAX_IDENTITY_BODY_BYTES,
    // The web app at / from the static assets, analysing faces on the device with the runtime's pack,
    // whose embeddings POST /v1/identities then takes as precomputed faces.
    embeddingModel: facePack,
    ...(env.ASSETS ? { webApp: workersWebAppAssets(env.ASSETS, { pack: facePack }) } : {}),
    // The same CORS, access log and readiness as the Node edge (config from vars).
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    ...(env.ACCESS_LOG === "0" ? {} : { accessLog: (line: string) => console.log(line) }),
    runtimeHealth: runtimeHealthProbe(env.RUNTIME_URL),
    // Webhooks: the outbox in D1, delivered by the WEBHOOK_DISPATCHER object (without that binding a
    // webhookUrl is refused with 422 webhooks_unavailable).
    ...webhooksOf(createWorkerWebhooks(env)),
    // Workers logs: never keys, prompts or embeddings, only what failed.
    log: (message, error) => console.error(message, error instanceof Error ? `${error.name}: ${error.message}` : ""),
  });
}

const webhooksOf = (webhooks: EdgeWebhooks | undefined) => (webhooks ? { webhooks } : {});
