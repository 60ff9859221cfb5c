/**
 * The runtime's HTTP surface (Hono, Web-standard Request/Response): POST /v1/generate behind the bearer
 * token, GET /healthz and GET /metrics for the platform.
 */
import { Hono } from "hono";
import { RUNTIME_FACES_ANALYZE_PATH, RUNTIME_GENERATE_PATH, RUNTIME_HEALTH_PATH, type RuntimeGenerateRequest } from "../../shared/contract/index.ts";
import type { PackCapabilities } from "../pipeline/admission.ts";
import type { GenerationQueue } from "../queue/generation-queue.ts";
import { bearerAuth } from "./bearer-auth.ts";
import type { RuntimeFaceService } from "./face-service.ts";
import { facesAnalyzeHandler } from "./faces-route.ts";
import type { GenerationJobPayload } from "./generation-job.ts";
import { generateHandler } from "./generate-route.ts";
import { problemResponse } from "./problem-response.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import type { RuntimeMetrics } from "./runtime-metrics.ts";

export interface HealthReport {
  readonly status: "ok" | "shutting_down";
  readonly pack: string;
  /** Provider per network, e.g. { unet: "webgpu" }. */
  readonly providers: Readonly<Record<string, string>>;
  readonly queue: { readonly waiting: number; readonly running: number };
}

export interface RuntimeAppDeps {
  readonly token: string;
  readonly queue: GenerationQueue<GenerationJobPayload>;
  readonly pack: PackCapabilities;
  readonly batchKey: (r: RuntimeGenerateRequest) => string;
  readonly metrics: RuntimeMetrics;
  readonly health: () => HealthReport;
  /** Serves POST /v1/faces/analyze when given (for edges that cannot analyse photos themselves). */
  readonly faces?: RuntimeFaceService;
  readonly keepaliveMs?: number;
  readonly log?: (line: string) => void;
}

export function createRuntimeApp(d: RuntimeAppDeps): Hono {
  const app = new Hono();
  app.get(RUNTIME_HEALTH_PATH, (c) => {
    const h = d.health();
    return c.json(h, h.status === "ok" ? 200 : 503);
  });
  app.get("/metrics", () => new Response(d.metrics.registry.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }));
  app.use(RUNTIME_GENERATE_PATH, bearerAuth(d.token, () => d.metrics.errors.inc({ code: "unauthorized" })));
  app.post(RUNTIME_GENERATE_PATH, generateHandler(d));
  if (d.faces) {
    app.use(RUNTIME_FACES_ANALYZE_PATH, bearerAuth(d.token, () => d.metrics.errors.inc({ code: "unauthorized" })));
    app.post(RUNTIME_FACES_ANALYZE_PATH, facesAnalyzeHandler({ faces: d.faces, metrics: d.metrics, ...(d.log ? { log: d.log } : {}) }));
  }
  app.notFound(() => problemResponse(404, "invalid_request", "No such route"));
  app.onError((err) => {
    d.log?.(`unhandled: ${err.stack ?? err.message}`);
    d.metrics.errors.inc({ code: "internal_error" });
    return problemResponse(500, "internal_error", "Internal error");
  });
  return app;
}
