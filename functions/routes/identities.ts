import { Hono, type MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { invalidRequest } from "../errors/api-error.ts";
import { limitBody } from "../middleware/body-limit/index.ts";
import { readPhotos } from "../photos/read-photos.ts";
import { ListIdentitiesQuerySchema, pageBody, pageRequestOf, type IdentityListView } from "../schemas/list.ts";
import { fieldErrorsOf } from "../../shared/contract/problem.ts";
import { identityView } from "../services/identities/identity-view.ts";
import { readPrecomputedFace } from "../services/identities/precomputed-face.ts";
import type { IdentityService } from "../services/identities/identity-service.ts";

export interface IdentityRoutesDeps {
  readonly service: IdentityService;
  readonly idempotency: MiddlewareHandler<EdgeEnv>;
  readonly maxBodyBytes: number;
}

export function identityRoutes(d: IdentityRoutesDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.post("/", limitBody(d.maxBodyBytes), d.idempotency, async (c) => {
    const contentType = c.req.header("content-type");
    const body = new Uint8Array(await c.req.arrayBuffer());
    // A JSON body with `face` is a face analysed on the device; anything else is photos.
    const face = readPrecomputedFace(contentType, body);
    const userId = c.get("principal").userId;
    const { identity, created } = face ? await d.service.registerFace(userId, face) : await d.service.register(userId, await readPhotos(contentType, body));
    c.header("Location", `/v1/identities/${identity.id}`);
    return c.json(identityView(identity), created ? 201 : 200);
  });

  app.get("/", async (c) => {
    const query = ListIdentitiesQuerySchema.safeParse(c.req.query());
    if (!query.success) throw invalidRequest(fieldErrorsOf(query.error));
    const page = await d.service.list(c.get("principal").userId, pageRequestOf(query.data));
    const body: IdentityListView = pageBody(page, identityView);
    return c.json(body);
  });

  app.get("/:id", async (c) => {
    const identity = await d.service.get(c.get("principal").userId, c.req.param("id"));
    return c.json(identityView(identity));
  });

  app.delete("/:id", async (c) => {
    const cascade = c.req.query("cascade");
    if (cascade !== undefined && cascade !== "true" && cascade !== "false") {
      throw invalidRequest([{ path: "cascade", message: "must be true or false" }]);
    }
    await d.service.delete(c.get("principal").userId, c.req.param("id"), { cascade: cascade === "true" });
    return c.body(null, 204);
  });

  return app;
}
