/**
 * GET /docs: Swagger UI (swagger-ui-dist from the npm registry) over /openapi.json, its assets
 * served by the edge itself (no CDN: it works offline on a fresh clone). Where the files come
 * from is a port: node_modules on Node (adapters/node/swagger-ui-assets.ts), a bundle elsewhere.
 */
import { Hono } from "hono";

/** The swagger-ui-dist files /docs needs. */
export const SWAGGER_UI_FILES = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
} as const;
export type SwaggerUiFile = keyof typeof SWAGGER_UI_FILES;

/** Reads one swagger-ui-dist file; undefined when it is not there. */
export type SwaggerUiAssets = (file: SwaggerUiFile) => Promise<Uint8Array | undefined>;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>InstantID Edge API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A file, not an inline script, so a strict Content-Security-Policy (script-src 'self') allows it.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  persistAuthorization: false
});
`;

export function swaggerUiRoutes(assets: SwaggerUiAssets): Hono {
  const app = new Hono();
  const cache = new Map<SwaggerUiFile, Uint8Array>();
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/init.js", (c) =>
    c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=3600" }),
  );
  app.get("/docs/:file", async (c) => {
    const file = c.req.param("file");
    if (!Object.hasOwn(SWAGGER_UI_FILES, file)) return c.notFound();
    const name = file as SwaggerUiFile;
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = await assets(name);
      if (!bytes) return c.notFound();
      cache.set(name, bytes);
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": SWAGGER_UI_FILES[name],
      "Cache-Control": "public, max-age=86400",
    });
  });
  return app;
}
