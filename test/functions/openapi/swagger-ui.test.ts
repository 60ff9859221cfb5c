/** /docs is Swagger UI over /openapi.json, its files served by the edge (no CDN). */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe("GET /docs", () => {
  it("is Swagger UI whose every script and stylesheet the edge serves itself", async () => {
    const res = await h.fetch("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toContain("/docs/swagger-ui-bundle.js");
    for (const ref of refs) {
      expect(ref.startsWith("/")).toBe(true);
      expect((await h.fetch(ref)).status).toBe(200);
    }
    const init = await (await h.fetch("/docs/init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
  });

  it("serves swagger-ui-dist's own files, byte for byte, and nothing else from the folder", async () => {
    const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    const res = await h.fetch("/docs/swagger-ui-bundle.js");
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(join(dir, "swagger-ui-bundle.js")))).toBe(true);
    expect((await h.fetch("/docs/package.json")).status).toBe(404);
    expect((await h.fetch("/docs/..%2Fpackage.json")).status).toBe(404);
  });
});
