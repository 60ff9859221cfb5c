import { Hono } from "hono";
import { PROBLEM_CONTENT_TYPE } from "../../shared/contract/problem.ts";
import { renderDocsPage } from "../openapi/docs-page.ts";
import { buildOpenApiDocument } from "../openapi/document.ts";
import { swaggerUiRoutes, type SwaggerUiAssets } from "../openapi/swagger-ui.ts";

/** Unauthenticated: /openapi.json, /docs (/healthz and /readyz: healthRoutes). */
export function metaRoutes(version: string, swaggerUi?: SwaggerUiAssets): Hono {
  const app = new Hono();
  const doc = buildOpenApiDocument({ version });
  const docJson = JSON.stringify(doc);
  const page = renderDocsPage(doc);
  app.get("/openapi.json", (c) => c.body(docJson, 200, { "Content-Type": "application/json" }));
  // Swagger UI where its files can be served; else the plain page rendered from the document.
  if (swaggerUi) app.route("/", swaggerUiRoutes(swaggerUi));
  else app.get("/docs", (c) => c.html(page));
  return app;
}

/**
 * Liveness and readiness, unauthenticated. /healthz: the edge process answers (200 while it runs),
 * and says whether the GPU runtime is up. /readyz: 200 only when the edge can serve generations
 * (the runtime answers its /healthz), else 503 runtime_unavailable with Retry-After, so a load
 * balancer sends traffic elsewhere while a supervisor restarts the runtime.
 */
export function healthRoutes(runtimeHealth?: () => Promise<boolean>): Hono {
  const app = new Hono();
  const runtimeState = async () => (runtimeHealth ? ((await runtimeHealth()) ? "up" : "down") : "unknown");
  app.get("/healthz", async (c) => c.json({ status: "ok", runtime: await runtimeState() }));
  app.get("/readyz", async (c) => {
    const runtime = await runtimeState();
    if (runtime !== "down") return c.json({ status: "ready", runtime });
    const body = { type: "about:blank", title: "GPU runtime unavailable", status: 503, code: "runtime_unavailable", detail: "The GPU runtime is not answering; retry later.", retryable: true, runtime };
    return c.body(JSON.stringify(body), 503, { "Content-Type": PROBLEM_CONTENT_TYPE, "Retry-After": "5" });
  });
  return app;
}

/**
 * Asks the runtime's /healthz (2 s timeout), remembering the answer for `cacheMs` so probes from
 * many clients cost one request. Platform-free: fetch only.
 */
export function runtimeHealthProbe(runtimeUrl: string, cacheMs = 1_000, clock: () => number = Date.now): () => Promise<boolean> {
  let last: { at: number; up: Promise<boolean> } | undefined;
  return () => {
    const now = clock();
    if (last && now - last.at < cacheMs) return last.up;
    const up = fetch(`${runtimeUrl.replace(/\/+$/, "")}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      async (res) => {
        await res.body?.cancel();
        return res.ok;
      },
      () => false,
    );
    last = { at: now, up };
    return up;
  };
}
