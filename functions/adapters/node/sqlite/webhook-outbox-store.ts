/** The webhook outbox in the edge's SQLite file (table webhook_outbox, migrations/0002). */
import {
  storedWebhookDeliveryFromRow,
  WEBHOOK_OUTBOX_SQL as SQL,
  webhookDeliveryFromRow,
  webhookDeliveryValues,
  type WebhookDeliveryRow,
} from "../../../stores/rows/webhook-delivery-row.ts";
import { ARMED_DUE_MS, lastErrorText, type WebhookOutboxStore } from "../../../webhooks/outbox-store.ts";
import type { SqliteDatabase } from "./database.ts";

export function createSqliteWebhookOutboxStore(db: SqliteDatabase): WebhookOutboxStore {
  const insert = db.prepare(SQL.insert);
  const due = db.prepare<[number, number], WebhookDeliveryRow>(SQL.due);
  const nextDue = db.prepare<[number], { next: number | null }>(SQL.nextDue);
  const delivered = db.prepare(SQL.delivered);
  const reschedule = db.prepare(SQL.reschedule);
  const failed = db.prepare(SQL.failed);
  const get = db.prepare<[string], WebhookDeliveryRow>(SQL.get);
  const complete = db.prepare(SQL.complete);
  const armed = db.prepare<[number, number], WebhookDeliveryRow>(SQL.armed);

  return {
    async enqueue(d) {
      insert.run(...webhookDeliveryValues(d));
    },
    async complete(generationId, eventType, payload, dueMs) {
      return complete.run(eventType, payload, dueMs, generationId, ARMED_DUE_MS).changes > 0;
    },
    async armed(limit) {
      return armed.all(ARMED_DUE_MS, limit).map(webhookDeliveryFromRow);
    },
    async due(nowMs, limit) {
      return due.all(nowMs, limit).map(webhookDeliveryFromRow);
    },
    async nextDueMs() {
      return nextDue.get(ARMED_DUE_MS)?.next ?? undefined;
    },
    async markDelivered(id, nowMs) {
      delivered.run(nowMs, id);
    },
    async reschedule(id, attempts, nextAttemptMs, error) {
      reschedule.run(attempts, nextAttemptMs, lastErrorText(error), id);
    },
    async markFailed(id, attempts, nowMs, error) {
      failed.run(attempts, nowMs, lastErrorText(error), id);
    },
    async get(id) {
      const r = get.get(id);
      return r ? storedWebhookDeliveryFromRow(r) : undefined;
    },
  };
}
