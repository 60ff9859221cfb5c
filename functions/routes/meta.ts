import { Hono } from "hono";
import { renderDocsPage } from "../openapi/docs-page.ts";
import { buildOpenApiDocument } from "../openapi/document.ts";

/** Unauthenticated: /healthz, /openapi.json, /docs. */
export function metaRoutes(version: string): Hono {
  const app = new Hono();
  const doc = buildOpenApiDocument({ version });
  const docJson = JSON.stringify(doc);
  const page = renderDocsPage(doc);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/openapi.json", (c) => c.body(docJson, 200, { "Content-Type": "application/json" }));
  app.get("/docs", (c) => c.html(page));
  return app;
}
