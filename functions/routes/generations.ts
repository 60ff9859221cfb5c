import { Hono, type Context, type MiddlewareHandler } from "hono";
import { fieldErrorsOf } from "../../shared/contract/problem.ts";
import { SSE_CONTENT_TYPE } from "../../shared/contract/sse.ts";
import { parseLastEventId } from "../coordinator/event-ids.ts";
import type { EdgeEnv } from "../env.ts";
import { ApiError, invalidRequest, notFound } from "../errors/api-error.ts";
import { limitBody } from "../middleware/body-limit/index.ts";
import { CreateGenerationSchema } from "../schemas/generation.ts";
import type { GenerationService } from "../services/generations/generation-service.ts";
import { generationPath, generationView } from "../services/generations/generation-view.ts";
import { relayEvents } from "./sse-relay.ts";

export interface GenerationRoutesDeps {
  readonly service: GenerationService;
  readonly idempotency: MiddlewareHandler<EdgeEnv>;
}

const MAX_GENERATION_BODY = 64 * 1024;

export function generationRoutes(d: GenerationRoutesDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.post("/", limitBody(MAX_GENERATION_BODY), d.idempotency, async (c) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (mediaType !== "application/json") {
      throw new ApiError(415, "unsupported_media_type", "Unsupported media type", { detail: "Send application/json." });
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await c.req.arrayBuffer()));
    } catch {
      throw new ApiError(400, "invalid_json", "Body is not valid JSON");
    }
    const parsed = CreateGenerationSchema.safeParse(json);
    if (!parsed.success) throw invalidRequest(fieldErrorsOf(parsed.error));
    const principal = c.get("principal");

    if (wantsStream(c.req.header("accept"))) {
      const record = await d.service.start(principal, parsed.data);
      const location = generationPath(record.id);
      c.set("idempotentStandIn", {
        status: 202,
        contentType: "application/json",
        location,
        body: JSON.stringify(generationView(record)),
      });
      c.header("Location", location);
      return streamEvents(c, d.service, principal.userId, record.id, undefined);
    }

    const record = await d.service.start(principal, parsed.data);
    c.header("Location", generationPath(record.id));
    return c.json(generationView(record), 202);
  });

  app.get("/:id", async (c) => {
    const record = await d.service.get(c.get("principal").userId, c.req.param("id"));
    return c.json(generationView(record));
  });

  app.get("/:id/events", async (c) => {
    const lastEventId = parseLastEventId(c.req.header("last-event-id") ?? c.req.query("lastEventId"));
    return streamEvents(c, d.service, c.get("principal").userId, c.req.param("id"), lastEventId);
  });

  app.post("/:id/cancel", async (c) => {
    const record = await d.service.cancel(c.get("principal").userId, c.req.param("id"));
    return c.json(generationView(record));
  });

  app.get("/:id/images/:n", async (c) => {
    const n = c.req.param("n");
    if (!/^(0|[1-9][0-9]{0,2})$/.test(n)) throw notFound("image_not_found", "Image");
    const { bytes, mimeType } = await d.service.image(c.get("principal").userId, c.req.param("id"), Number(n));
    c.header("Content-Type", mimeType);
    c.header("Cache-Control", "private, max-age=31536000, immutable");
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200);
  });

  return app;
}

const wantsStream = (accept: string | undefined) => (accept ?? "").includes(SSE_CONTENT_TYPE);

async function streamEvents(
  c: Context<EdgeEnv>,
  service: GenerationService,
  userId: string,
  id: string,
  lastEventId: number | undefined,
): Promise<Response> {
  const abort = new AbortController();
  const events = await service.events(userId, id, {
    ...(lastEventId !== undefined ? { lastEventId } : {}),
    signal: abort.signal,
  });
  c.header("Content-Type", `${SSE_CONTENT_TYPE}; charset=utf-8`);
  c.header("Cache-Control", "no-cache");
  c.header("X-Accel-Buffering", "no");
  return c.body(relayEvents(events, abort), 200);
}
