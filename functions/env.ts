/** Hono typing for the edge: what auth puts on the context. */
import type { KeyLimits } from "./rate-limit/key-limits.ts";
import type { StoredResponse } from "./stores/idempotency-store.ts";

export interface Principal {
  readonly keyId: string;
  readonly userId: string;
  readonly limits: KeyLimits;
  /** The key has a webhook signing secret (read with the key, so a webhookUrl costs no second lookup). */
  readonly canSignWebhooks: boolean;
}

export interface EdgeEnv {
  Variables: {
    principal: Principal;
    /** Set by a streaming handler: the JSON response an Idempotency-Key replay answers with instead. */
    idempotentStandIn: StoredResponse;
    /** X-Request-Id of this request (middleware/request-id). */
    requestId: string;
  };
}
