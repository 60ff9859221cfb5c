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
import { MAX_GENERATION_BODY, MAX_PREFER_WAIT_SECONDS } from "../routes/generations.ts";
import { SSE_HEARTBEAT_MS } from "../routes/sse-relay.ts";
import { DEFAULT_MAX_IN_FLIGHT } from "../rate-limit/key-limits.ts";
import { GENERATION_LIMITS } from "../../shared/contract/limits.ts";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/dispatcher.ts";
import { CreateIdentityFaceJsonSchema, CreateIdentityJsonSchema, CreateIdentityMultipartSchema, IdentitySchema } from "../schemas/identity.ts";
import { GenerationListSchema, IdentityListSchema, LIST_LIMIT } from "../schemas/list.ts";
import { GENERATION_STATUSES } from "../stores/generation-store.ts";

type Json = Record<string, unknown>;

/** The edge's problems: the contract's, plus the members the edge adds. */
const EdgeProblemSchema = ProblemSchema.extend({
  requestId: z.string().optional().meta({ description: "This request's X-Request-Id." }),
  policy: z.enum(["requests", "cost", "inflight"]).optional().meta({ description: "On a 429: the exceeded rate-limit policy." }),
  retryAfterSeconds: z.number().int().optional(),
});

const WebhookEventSchema = z
  .object({
    type: z.enum(WEBHOOK_EVENT_TYPES),
    timestamp: z.string().meta({ format: "date-time" }),
    data: GenerationSchema,
  })
  .meta({ description: "A webhook delivery's body." });

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

const requestIdHeader = {
  "X-Request-Id": {
    schema: { type: "string" },
    description: "This request's id (the client's X-Request-Id when well-formed); also `requestId` in problem bodies and the access log.",
  },
};

const rateLimitHeaders = {
  "RateLimit-Policy": {
    schema: { type: "string" },
    description:
      "draft-ietf-httpapi-ratelimit-headers-10: the key's policies, e.g. " +
      '`"requests";q=60;w=60, "cost";q=943718400;w=7, "inflight";q=4;qu="concurrent-requests"` ' +
      "(requests per window; generation cost = steps x width x height x images per window; generations queued or running at once).",
  },
  RateLimit: {
    schema: { type: "string" },
    description:
      'draft-10 state of the policies this request touched: `"requests";r=59;t=1` (remaining, seconds until full); ' +
      "POST /v1/generations adds the `cost` and `inflight` items.",
  },
  "RateLimit-Limit": { schema: { type: "integer" }, description: "Older draft: request bucket capacity." },
  "RateLimit-Remaining": { schema: { type: "integer" }, description: "Older draft: requests left now." },
  "RateLimit-Reset": { schema: { type: "integer" }, description: "Older draft: seconds until the request bucket is full." },
  ...requestIdHeader,
};

const retryAfter = { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait before retrying." } };

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", maxLength: 255 },
  description:
    "Same key and same body (within 24 h): answered from the resource as it is now (header Idempotent-Replayed: true; " +
    "a generation's current state, or its event stream when the replay asks for text/event-stream). " +
    "Same key, different body: 422 `idempotency_key_reused`; while the first is still being handled: 409 `idempotency_key_in_use`.",
};

const requestIdParam = {
  name: "X-Request-Id",
  in: "header",
  required: false,
  schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{8,128}$" },
  description: "Your id for this request (kept when well-formed, else replaced); echoed in the response.",
};

const problemWithHeaders = (description: string, headers: Json) => ({ ...problem(description), headers });

const common = {
  "401": problemWithHeaders("Missing or invalid API key (code `unauthorized`).", requestIdHeader),
  "405": problemWithHeaders("Method not allowed on this path (code `method_not_allowed`); see Allow.", {
    ...requestIdHeader,
    Allow: { description: "The methods this path takes.", schema: { type: "string" } },
  }),
  "429": problemWithHeaders(
    'Rate limited (code `rate_limited`, `policy: "requests"`; or `auth_rate_limited` after too many failed ' +
      "authentications from one client address); see Retry-After and RateLimit.",
    { ...rateLimitHeaders, ...retryAfter },
  ),
  "503": problemWithHeaders("Storage busy (code `storage_busy`, `retryable: true`); retry after Retry-After.", { ...requestIdHeader, ...retryAfter }),
};

const pathId = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

/** The list reads' paging parameters. */
const pageParams = [
  {
    name: "limit",
    in: "query",
    required: false,
    schema: { type: "integer", minimum: LIST_LIMIT.min, maximum: LIST_LIMIT.max, default: LIST_LIMIT.default },
    description: "At most this many items.",
  },
  {
    name: "cursor",
    in: "query",
    required: false,
    schema: { type: "string" },
    description: "The previous page's `nextCursor` (opaque). Pages are positions in the newest-first order, so rows added meanwhile neither repeat nor shift later pages.",
  },
];
const listProblem = (fields: string) =>
  problem(`\`invalid_request\` naming the field (\`errors[].path\`): ${fields}, or a parameter this list does not take.`);

export function buildOpenApiDocument(info: { version: string; serverUrl?: string }): Json {
  const eventSchemas = Object.fromEntries(
    Object.entries(GENERATION_EVENT_SCHEMAS)
      .filter(([name]) => name !== "queued" && name !== "done")
      .map(([name, s]) => [`GenerationEvent_${name}`, s as z.ZodType]),
  );
  const schemas = {
    ...componentSchemas(
      { CreateIdentityJson: CreateIdentityJsonSchema, CreateIdentityFaceJson: CreateIdentityFaceJsonSchema, CreateIdentityMultipart: CreateIdentityMultipartSchema, CreateGeneration: CreateGenerationSchema },
      "input",
    ),
    ...componentSchemas(
      {
        Problem: EdgeProblemSchema,
        Identity: IdentitySchema,
        Generation: GenerationSchema,
        IdentityList: IdentityListSchema,
        GenerationList: GenerationListSchema,
        WebhookEvent: WebhookEventSchema,
        ...eventSchemas,
      },
      "output",
    ),
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
        get: {
          summary: "Liveness",
          description: "200 while the edge process runs; `runtime` says whether the GPU runtime answers (`up`, `down`, `unknown`).",
          security: [],
          responses: { "200": { description: "OK" } },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness",
          description: "200 when the edge can serve generations (the GPU runtime answers); else 503 `runtime_unavailable` with Retry-After.",
          security: [],
          responses: { "200": { description: "Ready." }, "503": problemWithHeaders("`runtime_unavailable` (retryable).", retryAfter) },
        },
      },
      "/v1/identities": {
        get: {
          summary: "The key's user's identities, newest first",
          description: `One page (\`limit\`, default ${LIST_LIMIT.default}) of identities as GET /v1/identities/{id} shows them (never the embedding); \`nextCursor\` fetches the next.`,
          parameters: pageParams,
          responses: {
            "200": json("A page of identities.", "IdentityList", rateLimitHeaders),
            "400": listProblem("`limit` outside 1..100 or not an integer, `cursor` not one this API gave"),
            ...common,
          },
        },
        post: {
          summary: "Register an identity from one to four photos",
          description:
            "Detects faces and keeps the largest face's embedding and keypoints; several photos are averaged. " +
            "The same photos again return the same identity (200) without analysis. Photos are not stored. " +
            "Or, as JSON, a face analysed on the device (`face`: embedding, keypoints, box, image size; `embeddingModel`): " +
            "kept as sent, the same embedding again is the same identity. " +
            "Limits: the whole body at most 64 MiB by default; each photo at most PHOTO_MAX_BYTES (default 25 MiB) and " +
            "PHOTO_MAX_PIXELS (default 50,000,000 pixels), else 413 `image_too_large` / `too_many_pixels`.",
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": { schema: ref("CreateIdentityMultipart") },
              // Photos as base64, or a face analysed on the device (the photo is not sent): told apart by `face`.
              "application/json": { schema: { oneOf: [ref("CreateIdentityJson"), ref("CreateIdentityFaceJson")] } },
            },
          },
          responses: {
            "201": json("Identity created.", "Identity", rateLimitHeaders),
            "200": json("These photos already made this identity.", "Identity", rateLimitHeaders),
            "400": problem("Invalid body or corrupt image (`invalid_request`, `invalid_json`, `corrupt_image`)."),
            "413": problem("Too large (`payload_too_large`, `image_too_large`, `too_many_pixels`)."),
            "415": problem("Not an accepted image or body type (`unsupported_format`, `unsupported_media_type`)."),
            "422": problem(
              "No face (`no_face_detected`), photos of different people (`identity_mismatch`: each photo's face must match the " +
                "others' mean direction above the face pack's threshold), `idempotency_key_reused`, or a precomputed face from " +
                "another face pack than this edge's (`embedding_model_mismatch`).",
            ),
            ...common,
            "503": problemWithHeaders(
              "Photo decoding is at its pixel budget (`intake_busy`) or storage is busy (`storage_busy`); both `retryable: true`, see Retry-After.",
              { ...requestIdHeader, ...retryAfter },
            ),
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
          description: "With `cascade=true`, the generations made from it (as face or pose) and their images go too.",
          parameters: [
            pathId("id"),
            { name: "cascade", in: "query", required: false, schema: { type: "string", enum: ["true", "false"], default: "false" } },
          ],
          responses: {
            "204": { description: "Deleted." },
            "400": problem("`cascade` is not true or false (`invalid_request`)."),
            "404": problem("`identity_not_found`."),
            "409": problem("`identity_in_use`: a generation from it is still running (cascade only); cancel it first."),
            ...common,
          },
        },
      },
      "/v1/generations": {
        get: {
          summary: "The key's user's generations, newest first",
          description:
            `One page (\`limit\`, default ${LIST_LIMIT.default}) of generations as GET /v1/generations/{id} shows them (a queued or ` +
            "running one with its live status, progress and images so far); `nextCursor` fetches the next. `status=queued` or " +
            "`running` filters by the live status, so such a page may hold fewer than `limit` while `nextCursor` still points on.",
          parameters: [
            { name: "identityId", in: "query", required: false, schema: { type: "string" }, description: "Only generations of this identity (as the face)." },
            { name: "status", in: "query", required: false, schema: { type: "string", enum: [...GENERATION_STATUSES] }, description: "Only generations with this status." },
            ...pageParams,
          ],
          responses: {
            "200": json("A page of generations.", "GenerationList", rateLimitHeaders),
            "400": listProblem("`limit` outside 1..100 or not an integer, `cursor` not one this API gave, `status` not a status, an empty `identityId`"),
            ...common,
          },
        },
        post: {
          summary: "Generate images of an identity",
          description:
            "With `Accept: text/event-stream` the answer is a stream of events `queued` (a Generation; again when its place in " +
            "the runtime's queue moves), `progress`, `preview`, `image`, then `done` (a Generation) or `error`; every event has an " +
            "`id:`, and a dropped stream resumes with GET /v1/generations/{id}/events and Last-Event-ID. A `: keepalive` comment " +
            `is sent every ${SSE_HEARTBEAT_MS / 1000} s. Otherwise 202 with a Generation to poll at Location, or with ` +
            "`Prefer: wait=N` up to N seconds (at most " +
            `${MAX_PREFER_WAIT_SECONDS}) for 201 with the finished generation. ` +
            `Limits: body at most ${MAX_GENERATION_BODY / 1024} KiB; width x height at most ${GENERATION_LIMITS.maxPixels} pixels ` +
            `(sides ${GENERATION_LIMITS.side.min}..${GENERATION_LIMITS.side.max}, multiples of ${GENERATION_LIMITS.side.multipleOf}); ` +
            `each key has a request bucket, a cost bucket (steps x width x height x images) and at most ${DEFAULT_MAX_IN_FLIGHT} ` +
            "generations queued or running at once by default (`keys create --max-in-flight N`). A cancelled or failed generation " +
            "gives back the cost of the steps it did not run. With `webhookUrl`, its end is POSTed there (see webhooks).",
          parameters: [
            idempotencyKey,
            requestIdParam,
            {
              name: "Prefer",
              in: "header",
              required: false,
              schema: { type: "string", examples: ["wait=30"] },
              description: `\`wait=N\` (RFC 7240): hold the answer up to N seconds (capped at ${MAX_PREFER_WAIT_SECONDS}); 201 when finished in time, else 202. Preference-Applied echoes it.`,
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: ref("CreateGeneration") } } },
          responses: {
            "200": {
              description: "Event stream (Accept: text/event-stream); Location names the generation.",
              headers: { Location: { schema: { type: "string" } }, ...rateLimitHeaders },
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "201": json("Finished within Prefer: wait (succeeded, failed or cancelled).", "Generation", {
              Location: { schema: { type: "string" } },
              "Preference-Applied": { schema: { type: "string" } },
              ...rateLimitHeaders,
            }),
            "202": json("Accepted; poll the Location (or stream its events).", "Generation", {
              Location: { schema: { type: "string" } },
              "Idempotent-Replayed": { schema: { type: "string", enum: ["true"] }, description: "Present on a replay." },
              ...rateLimitHeaders,
            }),
            "400": problem("`invalid_request` (with `errors`; a refused `webhookUrl` names that field), `invalid_json`."),
            "404": problem("`identity_not_found`."),
            "409": problem("`idempotency_key_in_use`; see Retry-After."),
            "413": problem(`\`payload_too_large\`: the body exceeds ${MAX_GENERATION_BODY / 1024} KiB.`),
            "415": problem("`unsupported_media_type`: send application/json."),
            "422": problem(
              "`generation_too_costly`, `embedding_pack_mismatch`, `scheduler_unavailable`, `idempotency_key_reused`, `webhooks_unavailable` (an edge deployed without webhook delivery), " +
                "`webhook_secret_missing` (the key has none yet: `npm run keys -- webhook-secret <keyId>`).",
            ),
            "429": problemWithHeaders(
              "`rate_limited` (policy `requests`), `generation_quota_exceeded` (policy `cost`) or " +
                "`too_many_concurrent_generations` (policy `inflight`); the body's `policy` names it. See Retry-After and RateLimit.",
              { ...rateLimitHeaders, ...retryAfter },
            ),
            "503": problemWithHeaders("`runtime_busy`, `runtime_unavailable` or `storage_busy` (all `retryable: true`); see Retry-After.", retryAfter),
            "401": common["401"],
          },
        },
      },
      "/v1/generations/{id}": {
        get: {
          summary: "A generation's status (queued with queuePosition, running, succeeded, failed, cancelled), progress and images",
          parameters: [pathId("id")],
          responses: { "200": json("The generation.", "Generation", rateLimitHeaders), "404": problem("`generation_not_found`."), ...common },
        },
        delete: {
          summary: "Delete a generation's images and record (a running one is cancelled first)",
          parameters: [pathId("id")],
          responses: { "204": { description: "Deleted.", headers: rateLimitHeaders }, "404": problem("`generation_not_found`."), ...common },
        },
      },
      "/v1/generations/{id}/events": {
        get: {
          summary: "A generation's event stream, resumable",
          description:
            "Replays what the client missed after Last-Event-ID (the latest queued, progress and preview events, every image, " +
            "the final event), then continues live; a finished generation replays and closes. Event ids increase within a generation.",
          parameters: [
            pathId("id"),
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string", pattern: "^[0-9]{1,15}$" } },
            {
              name: "lastEventId",
              in: "query",
              required: false,
              schema: { type: "string", pattern: "^[0-9]{1,15}$" },
              description: "The same as Last-Event-ID, for clients that cannot set headers; the header wins.",
            },
          ],
          responses: {
            "200": { description: "Event stream.", content: { "text/event-stream": { schema: { type: "string" } } } },
            "404": problem("`generation_not_found`."),
            ...common,
          },
        },
      },
      "/v1/generations/{id}/cancel": {
        post: {
          summary: "Cancel a generation (the GPU work stops; the unrun steps' cost is given back)",
          parameters: [pathId("id")],
          responses: {
            "200": json("Cancelled.", "Generation", rateLimitHeaders),
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
    webhooks: Object.fromEntries(
      WEBHOOK_EVENT_TYPES.map((type) => [
        type,
        {
          post: {
            summary: `${type}: a generation that carried webhookUrl ended`,
            description:
              "Signed per Standard Webhooks: verify webhook-signature (`v1,` + base64 HMAC-SHA256 over " +
              "`<webhook-id>.<webhook-timestamp>.<body>` with the key's secret, base64 after `whsec_`). Deliveries are retried " +
              "with exponential backoff and jitter until a 2xx, across edge restarts, always with the same webhook-id " +
              "(at-least-once: deduplicate on it).",
            parameters: ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => ({
              name,
              in: "header",
              required: true,
              schema: { type: "string" },
            })),
            requestBody: { required: true, content: { "application/json": { schema: ref("WebhookEvent") } } },
            responses: { "2XX": { description: "Received; any other answer is retried." } },
          },
        },
      ]),
    ),
  };
}
