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
        "/readyz",
        "/v1/generations",
        "/v1/generations/{id}",
        "/v1/generations/{id}/cancel",
        "/v1/generations/{id}/events",
        "/v1/generations/{id}/images/{n}",
        "/v1/identities",
        "/v1/identities/{id}",
      ].sort(),
    );
  });

  it("documents cascade delete, identity_mismatch and readiness (hardening behaviours)", () => {
    const del = doc.paths["/v1/identities/{id}"].delete;
    expect(del.parameters.map((p: { name: string }) => p.name)).toContain("cascade");
    expect(Object.keys(del.responses)).toContain("409");
    expect(doc.paths["/v1/identities"].post.responses["422"].description).toContain("identity_mismatch");
    expect(doc.paths["/v1/identities"].post.responses["503"].description).toContain("intake_busy");
    expect(doc.paths["/readyz"].get.responses["503"].description).toContain("runtime_unavailable");
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

  it("documents the limits that exist: photo bytes and pixels as the intake's defaults, the identity body as the app's", async () => {
    const { DEFAULT_IMAGE_LIMITS } = await import("../../../shared/image/image-intake.ts");
    const { DEFAULT_MAX_IDENTITY_BODY_BYTES } = await import("../../../functions/app.ts");
    const text = doc.paths["/v1/identities"].post.description as string;
    expect(text).toContain(`PHOTO_MAX_BYTES (default ${DEFAULT_IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB)`);
    expect(text).toContain(`PHOTO_MAX_PIXELS (default ${DEFAULT_IMAGE_LIMITS.maxPixels.toLocaleString("en-US")} pixels)`);
    expect(text).toContain(`at most ${DEFAULT_MAX_IDENTITY_BODY_BYTES / 1024 / 1024} MiB`);
  });

  it("documents issue 12's fields, headers and limits", () => {
    const post = doc.paths["/v1/generations"].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(["Idempotency-Key", "X-Request-Id", "Prefer"]);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["200", "201", "202", "413", "429"]));
    for (const h of ["RateLimit", "RateLimit-Policy", "RateLimit-Limit", "X-Request-Id"]) expect(post.responses["202"].headers).toHaveProperty(h);
    expect(post.responses["429"].headers).toHaveProperty("Retry-After");
    expect(doc.components.schemas.CreateGeneration.properties).toHaveProperty("webhookUrl");
    expect(doc.components.schemas.Generation.properties).toHaveProperty("queuePosition");
    expect(doc.components.schemas.Problem.properties).toHaveProperty("requestId");
    expect(doc.components.schemas.Problem.properties.policy.enum).toEqual(["requests", "cost", "inflight"]);
    expect(doc.paths["/v1/generations/{id}/events"].get.parameters[1].name).toBe("Last-Event-ID");
    expect(doc.paths["/v1/generations/{id}"]).toHaveProperty("delete");
    expect(Object.keys(doc.webhooks)).toEqual(["generation.succeeded", "generation.failed", "generation.cancelled"]);
  });

  it("documents the list reads: paging parameters from the API's bounds, filters, the page schemas", () => {
    const identities = doc.paths["/v1/identities"].get;
    const generations = doc.paths["/v1/generations"].get;
    expect(identities.parameters.map((p: { name: string }) => p.name)).toEqual(["limit", "cursor"]);
    expect(generations.parameters.map((p: { name: string }) => p.name)).toEqual(["identityId", "status", "limit", "cursor"]);
    expect(identities.parameters[0].schema).toEqual({ type: "integer", minimum: 1, maximum: 100, default: 20 });
    expect(generations.parameters[1].schema.enum).toEqual(["queued", "running", "succeeded", "failed", "cancelled"]);
    expect(identities.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/IdentityList");
    expect(generations.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/GenerationList");
    expect(doc.components.schemas.IdentityList.required).toEqual(["data", "nextCursor"]);
    expect(doc.components.schemas.GenerationList.properties.data.items.$ref).toBe("#/components/schemas/Generation");
    expect(generations.responses["400"].description).toContain("invalid_request");
  });

  it("renders a docs page listing the operations", () => {
    const html = renderDocsPage(doc);
    expect(html).toContain("/v1/generations/{id}/cancel");
    expect(html).toContain("CreateGeneration");
  });
});
