/**
 * The edge app: Web-standard Request in, Response out. Knows nothing of Node, SQLite or Workers;
 * everything it touches comes in through `EdgeDeps` (see node.ts for the Node wiring).
 */
import { Hono } from "hono";
import { InProcessGenerationCoordinator } from "./coordinator/in-process-coordinator.ts";
import { randomId, type IdGenerator } from "./crypto/random-id.ts";
import type { EdgeEnv } from "./env.ts";
import { apiKeyAuth } from "./middleware/auth/index.ts";
import { corsMiddleware } from "./middleware/cors/index.ts";
import type { SwaggerUiAssets } from "./openapi/swagger-ui.ts";
import { settledToWebhooks, type EdgeWebhooks } from "./webhooks/dispatcher.ts";
import { idempotency } from "./middleware/idempotency/index.ts";
import { handleErrors, notFoundOrMethodNotAllowed, type ErrorLog } from "./middleware/problem/index.ts";
import { requestRateLimit } from "./middleware/rate-limit/index.ts";
import { requestId } from "./middleware/request-id/index.ts";
import type { GenerationCoordinator } from "./ports/generation-coordinator.ts";
import { generationRoutes } from "./routes/generations.ts";
import { identityRoutes } from "./routes/identities.ts";
import { healthRoutes, metaRoutes } from "./routes/meta.ts";
import { webAppRoutes, type WebAppAssets } from "./routes/web-app.ts";
import type { FacePack } from "../shared/contract/limits.ts";
import type { PhotoAnalyser } from "./ports/photo-analysis.ts";
import type { RuntimeClient } from "./runtime-client/runtime-client.ts";
import { GenerationService } from "./services/generations/generation-service.ts";
import { IdentityService } from "./services/identities/identity-service.ts";
import type { Stores } from "./stores/stores.ts";

export interface EdgeDeps {
  readonly stores: Stores;
  /** Photo bytes to faces (in-process on Node, the runtime's /v1/faces/analyze on Workers). */
  readonly photoAnalyser: PhotoAnalyser;
  readonly runtime: RuntimeClient;
  /** Whether the GPU runtime answers (its /healthz): /healthz reports it, /readyz is 503 while it is down. */
  readonly runtimeHealth?: () => Promise<boolean>;
  /** Owns running generations; default: this process (InProcessGenerationCoordinator). */
  readonly coordinator?: GenerationCoordinator;
  readonly clock?: () => number;
  readonly newId?: IdGenerator;
  readonly randomSeed?: () => number;
  readonly log?: ErrorLog;
  /** Largest POST /v1/identities body (all photos together). */
  readonly maxIdentityBodyBytes?: number;
  /** Origins browsers may call from (CORS_ORIGINS); empty or omitted: no CORS. */
  readonly corsOrigins?: readonly string[];
  /** Swagger UI's files for /docs (swagger-ui-dist); omitted: a plain page rendered from the document. */
  readonly swaggerUiAssets?: SwaggerUiAssets;
  /** The face pack of this edge's identities: POST /v1/identities takes precomputed faces from it. */
  readonly embeddingModel?: FacePack;
  /** The web app's files for `/` (routes/web-app.ts); omitted: no web app. */
  readonly webApp?: WebAppAssets;
  /** Webhook URL checks and deliveries (functions/webhooks); omitted: webhookUrl is refused with 422. */
  readonly webhooks?: EdgeWebhooks;
  /** Where the JSON access-log line of each request goes; omitted: none. */
  readonly accessLog?: (line: string) => void;
  readonly version?: string;
}

export interface EdgeApp {
  readonly app: Hono<EdgeEnv>;
  readonly generations: GenerationService;
  readonly identities: IdentityService;
  /** Fails running generations explicitly and closes their upstream requests. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_IDENTITY_BODY_BYTES = 64 * 1024 * 1024;

export function createEdgeApp(deps: EdgeDeps): EdgeApp {
  const clock = deps.clock ?? Date.now;
  const newId = deps.newId ?? randomId;
  const log: ErrorLog = deps.log ?? ((message, error) => console.error(message, error));
  const { stores } = deps;

  const identities = new IdentityService({
    store: stores.identities,
    generations: stores.generations,
    images: stores.images,
    photoAnalyser: deps.photoAnalyser,
    ...(deps.embeddingModel ? { embeddingModel: deps.embeddingModel } : {}),
    clock,
    newId,
  });
  const coordinator =
    deps.coordinator ??
    new InProcessGenerationCoordinator({
      generations: stores.generations,
      images: stores.images,
      rateLimits: stores.rateLimits,
      runtime: deps.runtime,
      clock,
      log,
      ...(deps.webhooks ? { onSettled: settledToWebhooks(deps.webhooks) } : {}),
    });
  const generations = new GenerationService({
    identities: stores.identities,
    generations: stores.generations,
    images: stores.images,
    rateLimits: stores.rateLimits,
    coordinator,
    clock,
    newId,
    log,
    ...(deps.randomSeed ? { randomSeed: deps.randomSeed } : {}),
    ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
  });
  const idem = idempotency({ store: stores.idempotency, clock });

  const app = new Hono<EdgeEnv>();
  app.use("*", requestId({ newId: () => newId("req"), ...(deps.accessLog ? { accessLog: deps.accessLog } : {}) }));
  // Before auth: a preflight carries no key.
  const corsHandler = corsMiddleware(deps.corsOrigins ?? []);
  if (corsHandler) app.use("*", corsHandler);
  app.onError(handleErrors(log));
  app.notFound(notFoundOrMethodNotAllowed(app));
  app.route("/", healthRoutes(deps.runtimeHealth));
  app.route("/", metaRoutes(deps.version ?? "0.1.0", deps.swaggerUiAssets));
  if (deps.webApp) app.route("/", webAppRoutes(deps.webApp));
  app.use("/v1/*", apiKeyAuth(stores.apiKeys), requestRateLimit(stores.rateLimits, clock));
  app.route(
    "/v1/identities",
    identityRoutes({
      service: identities,
      idempotency: idem,
      maxBodyBytes: deps.maxIdentityBodyBytes ?? DEFAULT_MAX_IDENTITY_BODY_BYTES,
    }),
  );
  app.route(
    "/v1/generations",
    generationRoutes({
      service: generations,
      idempotency: (replay) => idempotency({ store: stores.idempotency, clock, replay }),
    }),
  );

  return { app, generations, identities, close: () => generations.close() };
}
