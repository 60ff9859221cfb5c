/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (OpenAPI
 * 3.1 schemas are JSON Schema 2020-12, zod's default target).
 */
import { z } from "zod";
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from "../../shared/contract/problem.ts";
import {
  CreateGenerationSchema,
  GENERATION_EVENT_SCHEMAS,
  GenerationSchema,
} from "../schemas/generation.ts";
import { CreateIdentityJsonSchema, CreateIdentityMultipartSchema, IdentitySchema } from "../schemas/identity.ts";

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function componentSchemas(entries: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io });
  const out: Record<string, Json> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    out[id] = rest;
  }
  return out;
}

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref("Problem") } },
});

const json = (description: string, schemaId: string, headers?: Json) => ({
  description,
  content: { "application/json": { schema: ref(schemaId) } },
  ...(headers ? { headers } : {}),
});

const rateLimitHeaders = {
  "RateLimit-Limit": { schema: { type: "integer" }, description: "Request bucket capacity." },
  "RateLimit-Remaining": { schema: { type: "integer" }, description: "Requests left now." },
  "RateLimit-Reset": { schema: { type: "integer" }, description: "Seconds until the bucket is full." },
};

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", maxLength: 255 },
  description:
    "Same key and same body: the first response is replayed (header Idempotent-Replayed). Same key, different body: 422.",
};

const common = {
  "401": problem("Missing or invalid API key (code `unauthorized`)."),
  "429": problem("Rate limited (code `rate_limited`); see Retry-After."),
};

const pathId = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

export function buildOpenApiDocument(info: { version: string; serverUrl?: string }): Json {
  const eventSchemas = Object.fromEntries(
    Object.entries(GENERATION_EVENT_SCHEMAS)
      .filter(([name]) => name !== "queued" && name !== "done")
      .map(([name, s]) => [`GenerationEvent_${name}`, s as z.ZodType]),
  );
  const schemas = {
    ...componentSchemas(
      { CreateIdentityJson: CreateIdentityJsonSchema, CreateIdentityMultipart: CreateIdentityMultipartSchema, CreateGeneration: CreateGenerationSchema },
      "input",
    ),
    ...componentSchemas({ Problem: ProblemSchema, Identity: IdentitySchema, Generation: GenerationSchema, ...eventSchemas }, "output"),
  };

  return {
    openapi: "3.1.0",
    info: {
      title: "InstantID Edge API",
      version: info.version,
      description:
        "Turn a selfie into a cached identity once, then generate images of that person from text prompts " +
        "(InstantID on SDXL). Errors are RFC 9457 problem+json with a stable `code`.",
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from `npm run keys -- create`." } },
      schemas,
    },
    paths: {
      "/healthz": {
        get: { summary: "Liveness", security: [], responses: { "200": { description: "OK" } } },
      },
      "/v1/identities": {
        post: {
          summary: "Register an identity from one to four photos",
          description:
            "Detects faces and keeps the largest face's embedding and keypoints; several photos are averaged. " +
            "The same photos again return the same identity (200) without analysis. Photos are not stored.",
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": { schema: ref("CreateIdentityMultipart") },
              "application/json": { schema: ref("CreateIdentityJson") },
            },
          },
          responses: {
            "201": json("Identity created.", "Identity", rateLimitHeaders),
            "200": json("These photos already made this identity.", "Identity", rateLimitHeaders),
            "400": problem("Invalid body or corrupt image (`invalid_request`, `invalid_json`, `corrupt_image`)."),
            "413": problem("Too large (`payload_too_large`, `image_too_large`, `too_many_pixels`)."),
            "415": problem("Not an accepted image or body type (`unsupported_format`, `unsupported_media_type`)."),
            "422": problem("No face (`no_face_detected`) or `idempotency_key_reused`."),
            ...common,
          },
        },
      },
      "/v1/identities/{id}": {
        get: {
          summary: "An identity",
          parameters: [pathId("id")],
          responses: { "200": json("The identity.", "Identity"), "404": problem("`identity_not_found`."), ...common },
        },
        delete: {
          summary: "Delete an identity and its embedding",
          parameters: [pathId("id")],
          responses: { "204": { description: "Deleted." }, "404": problem("`identity_not_found`."), ...common },
        },
      },
      "/v1/generations": {
        post: {
          summary: "Generate images of an identity",
          description:
            "With `Accept: text/event-stream` the answer is a stream of events `queued` (a Generation), `progress`, " +
            "`preview`, `image`, then `done` (a Generation) or `error`. Otherwise 202 with a Generation to poll.",
          parameters: [idempotencyKey],
          requestBody: { required: true, content: { "application/json": { schema: ref("CreateGeneration") } } },
          responses: {
            "200": {
              description: "Event stream (Accept: text/event-stream).",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "202": json("Accepted; poll the Location.", "Generation", {
              Location: { schema: { type: "string" } },
              ...rateLimitHeaders,
            }),
            "400": problem("`invalid_request` (with `errors`), `invalid_json`."),
            "404": problem("`identity_not_found`."),
            "422": problem("`generation_too_costly`, `embedding_pack_mismatch`, `scheduler_unavailable`, `idempotency_key_reused`."),
            "429": problem("`rate_limited` or `generation_quota_exceeded`; see Retry-After."),
            "503": problem("`runtime_busy` or `runtime_unavailable`; see Retry-After."),
            "401": common["401"],
          },
        },
      },
      "/v1/generations/{id}": {
        get: {
          summary: "A generation's status, progress and images",
          parameters: [pathId("id")],
          responses: { "200": json("The generation.", "Generation"), "404": problem("`generation_not_found`."), ...common },
        },
      },
      "/v1/generations/{id}/cancel": {
        post: {
          summary: "Cancel a generation (the GPU work stops)",
          parameters: [pathId("id")],
          responses: {
            "200": json("Cancelled.", "Generation"),
            "404": problem("`generation_not_found`."),
            "409": problem("`generation_not_cancellable`: it already finished."),
            ...common,
          },
        },
      },
      "/v1/generations/{id}/images/{n}": {
        get: {
          summary: "A generated image",
          parameters: [pathId("id"), { name: "n", in: "path", required: true, schema: { type: "integer", minimum: 0 } }],
          responses: {
            "200": {
              description: "The image file.",
              content: { "image/png": {}, "image/jpeg": {}, "image/webp": {} },
            },
            "404": problem("`generation_not_found` or `image_not_found`."),
            ...common,
          },
        },
      },
    },
  };
}
