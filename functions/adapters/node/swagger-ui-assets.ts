/** Swagger UI's files for /docs, read from the installed swagger-ui-dist package. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { SwaggerUiAssets } from "../../openapi/swagger-ui.ts";

export function nodeSwaggerUiAssets(): SwaggerUiAssets {
  const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return async (file) => {
    try {
      return new Uint8Array(await readFile(join(dir, file)));
    } catch {
      return undefined;
    }
  };
}
