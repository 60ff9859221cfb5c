/**
 * The webhook outbox in D1 (table webhook_outbox, migrations/0002 and 0003, as on SQLite; the same
 * statements). Each call is one statement, so each is atomic: complete() turns an armed delivery
 * due at most once, however many callers race it.
 */
import {
  storedWebhookDeliveryFromRow,
  WEBHOOK_OUTBOX_SQL as SQL,
  webhookDeliveryFromRow,
  webhookDeliveryValues,
  type WebhookDeliveryRow,
} from "../../../stores/rows/webhook-delivery-row.ts";
import { ARMED_DUE_MS, lastErrorText, type WebhookOutboxStore } from "../../../webhooks/outbox-store.ts";

export function createD1WebhookOutboxStore(db: D1Database): WebhookOutboxStore {
  const rows = async (sql: string, ...values: unknown[]) => (await db.prepare(sql).bind(...values).all<WebhookDeliveryRow>()).results;
  return {
    async enqueue(d) {
      await db.prepare(SQL.insert).bind(...webhookDeliveryValues(d)).run();
    },
    async complete(generationId, eventType, payload, dueMs) {
      const r = await db.prepare(SQL.complete).bind(eventType, payload, dueMs, generationId, ARMED_DUE_MS).run();
      return r.meta.changes > 0;
    },
    async armed(limit) {
      return (await rows(SQL.armed, ARMED_DUE_MS, limit)).map(webhookDeliveryFromRow);
    },
    async due(nowMs, limit) {
      return (await rows(SQL.due, nowMs, limit)).map(webhookDeliveryFromRow);
    },
    async nextDueMs() {
      return (await db.prepare(SQL.nextDue).bind(ARMED_DUE_MS).first<{ next: number | null }>())?.next ?? undefined;
    },
    async markDelivered(id, nowMs) {
      await db.prepare(SQL.delivered).bind(nowMs, id).run();
    },
    async reschedule(id, attempts, nextAttemptMs, error) {
      await db.prepare(SQL.reschedule).bind(attempts, nextAttemptMs, lastErrorText(error), id).run();
    },
    async markFailed(id, attempts, nowMs, error) {
      await db.prepare(SQL.failed).bind(attempts, nowMs, lastErrorText(error), id).run();
    },
    async get(id) {
      const r = await db.prepare(SQL.get).bind(id).first<WebhookDeliveryRow>();
      return r ? storedWebhookDeliveryFromRow(r) : undefined;
    },
  };
}
