import { Hono } from "hono";
import { renderDocsPage } from "../openapi/docs-page.ts";
import { buildOpenApiDocument } from "../openapi/document.ts";
import { swaggerUiRoutes, type SwaggerUiAssets } from "../openapi/swagger-ui.ts";

/** Unauthenticated: /healthz, /openapi.json, /docs. */
export function metaRoutes(version: string, swaggerUi?: SwaggerUiAssets): Hono {
  const app = new Hono();
  const doc = buildOpenApiDocument({ version });
  const docJson = JSON.stringify(doc);
  const page = renderDocsPage(doc);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/openapi.json", (c) => c.body(docJson, 200, { "Content-Type": "application/json" }));
  // Swagger UI where its files can be served; else the plain page rendered from the document.
  if (swaggerUi) app.route("/", swaggerUiRoutes(swaggerUi));
  else app.get("/docs", (c) => c.html(page));
  return app;
}
