import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../../functions/openapi/document.ts";
import { renderDocsPage } from "../../../functions/openapi/docs-page.ts";
import { GENERATION_LIMITS } from "../../../shared/contract/limits.ts";

describe("OpenAPI document", () => {
  const doc = buildOpenApiDocument({ version: "test" }) as any;

  it("is OpenAPI 3.1 with every route", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/healthz",
        "/v1/generations",
        "/v1/generations/{id}",
        "/v1/generations/{id}/cancel",
        "/v1/generations/{id}/images/{n}",
        "/v1/identities",
        "/v1/identities/{id}",
      ].sort(),
    );
  });

  it("takes its schemas from the zod validators, limits included", () => {
    const gen = doc.components.schemas.CreateGeneration;
    expect(gen.required).toEqual(["identityId", "prompt"]);
    expect(gen.properties.steps.maximum).toBe(GENERATION_LIMITS.steps.max);
    expect(gen.properties.width.multipleOf).toBe(GENERATION_LIMITS.side.multipleOf);
    expect(gen.additionalProperties).toBe(false);
    expect(doc.components.schemas.Problem.required).toContain("code");
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(JSON.parse(r).split("/").pop());
  });

  it("renders a docs page listing the operations", () => {
    const html = renderDocsPage(doc);
    expect(html).toContain("/v1/generations/{id}/cancel");
    expect(html).toContain("CreateGeneration");
  });
});
