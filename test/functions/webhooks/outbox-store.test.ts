/** The webhook outbox in memory and in the Node edge's SQLite file, against the outbox conformance suite (D1: test/workers/inside). */
import { describe } from "vitest";
import { createSqliteWebhookOutboxStore } from "../../../functions/adapters/node/sqlite/webhook-outbox-store.ts";
import { createMemoryWebhookOutboxStore } from "../../../functions/webhooks/memory-outbox-store.ts";
import { useTempEdgeDatabase } from "../helpers/temp-edge-database.ts";
import { describeWebhookOutboxStoreConformance } from "./outbox-store-conformance.ts";

describe("memory webhook outbox", () => describeWebhookOutboxStoreConformance(createMemoryWebhookOutboxStore));

describe("SQLite webhook outbox", () => {
  const open = useTempEdgeDatabase();
  describeWebhookOutboxStoreConformance(() => createSqliteWebhookOutboxStore(open()));
});
