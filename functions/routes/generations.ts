import { Hono, type Context, type MiddlewareHandler } from "hono";
import { fieldErrorsOf } from "../../shared/contract/problem.ts";
import { SSE_CONTENT_TYPE } from "../../shared/contract/sse.ts";
import { parseLastEventId } from "../coordinator/event-ids.ts";
import type { EdgeEnv } from "../env.ts";
import { ApiError, invalidRequest, notFound } from "../errors/api-error.ts";
import { limitBody } from "../middleware/body-limit/index.ts";
import { CreateGenerationSchema } from "../schemas/generation.ts";
import { ListGenerationsQuerySchema, pageBody, pageRequestOf, type GenerationListView } from "../schemas/list.ts";
import type { GenerationService } from "../services/generations/generation-service.ts";
import { generationPath, generationView } from "../services/generations/generation-view.ts";
import type { StoredResponse } from "../stores/idempotency-store.ts";
import { TERMINAL_STATUSES } from "../stores/generation-store.ts";
import { relayEvents } from "./sse-relay.ts";

/** How a replay of an Idempotency-Key is answered (see middleware/idempotency). */
export type IdempotentReplay = (c: Context<EdgeEnv>, stored: StoredResponse) => Promise<Response | undefined>;

export interface GenerationRoutesDeps {
  readonly service: GenerationService;
  /** The Idempotency-Key middleware, given this route's replay handler. */
  readonly idempotency: (replay: IdempotentReplay) => MiddlewareHandler<EdgeEnv>;
}

export const MAX_GENERATION_BODY = 64 * 1024;
/** The longest `Prefer: wait=N` honoured, in seconds. */
export const MAX_PREFER_WAIT_SECONDS = 60;

export function generationRoutes(d: GenerationRoutesDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  const replay: IdempotentReplay = async (c, stored) => {
    const prefix = generationPath("");
    if (stored.status >= 300 || !stored.location?.startsWith(prefix)) return undefined;
    const id = stored.location.slice(prefix.length);
    const userId = c.get("principal").userId;
    c.header("Location", stored.location);
    // The generation as it is now, not the snapshot taken when it was created.
    if (wantsStream(c.req.header("accept"))) {
      return streamEvents(c, d.service, userId, id, parseLastEventId(c.req.header("last-event-id")));
    }
    const record = await d.service.get(userId, id);
    return c.json(generationView(record), TERMINAL_STATUSES.has(record.status) && stored.status === 201 ? 201 : 202);
  };

  app.post("/", limitBody(MAX_GENERATION_BODY), d.idempotency(replay), async (c) => {
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

    const start = async () => {
      const { record, rateLimit } = await d.service.start(principal, parsed.data);
      // Appended to the request policy's item: one structured-field list.
      c.header("RateLimit", rateLimit, { append: true });
      return record;
    };

    if (wantsStream(c.req.header("accept"))) {
      const record = await start();
      const location = generationPath(record.id);
      c.set("idempotentStandIn", {
        status: 202,
        contentType: "application/json",
        location,
        body: JSON.stringify(generationView(record)),
      });
      c.header("Location", location);
      return streamEvents(c, d.service, principal.userId, record.id, undefined, true);
    }

    const waitSeconds = preferWait(c.req.header("prefer"));
    const record = await start();
    c.header("Location", generationPath(record.id));
    if (waitSeconds !== undefined) {
      c.header("Preference-Applied", `wait=${waitSeconds}`);
      const now = await d.service.waitUntilFinished(principal.userId, record.id, waitSeconds * 1000);
      if (TERMINAL_STATUSES.has(now.status)) return c.json(generationView(now), 201);
      return c.json(generationView(now), 202);
    }
    return c.json(generationView(record), 202);
  });

  app.get("/", async (c) => {
    const query = ListGenerationsQuerySchema.safeParse(c.req.query());
    if (!query.success) throw invalidRequest(fieldErrorsOf(query.error));
    const { limit, cursor, identityId, status } = query.data;
    const page = await d.service.list(
      c.get("principal").userId,
      { ...(identityId !== undefined ? { identityId } : {}), ...(status !== undefined ? { status } : {}) },
      pageRequestOf({ limit, cursor }),
    );
    const body: GenerationListView = pageBody(page, generationView);
    return c.json(body);
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

  app.delete("/:id", async (c) => {
    await d.service.delete(c.get("principal").userId, c.req.param("id"));
    return c.body(null, 204);
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

/** `Prefer: wait=N` (RFC 7240), capped; undefined when absent or malformed. */
export function preferWait(prefer: string | undefined): number | undefined {
  if (!prefer) return undefined;
  for (const pref of prefer.split(",")) {
    const m = /^\s*wait\s*=\s*"?([0-9]{1,6})"?\s*(;.*)?$/i.exec(pref);
    if (m) return Math.min(Number(m[1]), MAX_PREFER_WAIT_SECONDS);
  }
  return undefined;
}

async function streamEvents(
  c: Context<EdgeEnv>,
  service: GenerationService,
  userId: string,
  id: string,
  lastEventId: number | undefined,
  creating = false,
): Promise<Response> {
  const abort = new AbortController();
  const events = await service.events(userId, id, {
    ...(lastEventId !== undefined ? { lastEventId } : {}),
    signal: abort.signal,
    creating,
  });
  c.header("Content-Type", `${SSE_CONTENT_TYPE}; charset=utf-8`);
  c.header("Cache-Control", "no-cache");
  c.header("X-Accel-Buffering", "no");
  return c.body(relayEvents(events, abort), 200);
}
