/** The D1 webhook outbox inside workerd, against the same conformance suite as the memory and SQLite ones; each test from wiped bindings and fresh migrations. */
import { applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe } from "vitest";
import { createD1WebhookOutboxStore } from "../../../functions/adapters/workers/d1/webhook-outbox-store.ts";
import { describeWebhookOutboxStoreConformance } from "../../functions/webhooks/outbox-store-conformance.ts";

describe("D1 webhook outbox", () =>
  describeWebhookOutboxStoreConformance(async () => {
    await reset();
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    return createD1WebhookOutboxStore(env.DB);
  }));
