/** The webhook_outbox table's row (migrations/0002, 0003) and the delivery it holds, for every SQL store. */
import type { StoredWebhookDelivery, WebhookDelivery } from "../../webhooks/outbox-store.ts";

export interface WebhookDeliveryRow {
  id: string;
  key_id: string;
  url: string;
  event_type: string;
  payload: string;
  attempts: number;
  next_attempt_ms: number;
  delivered_ms: number | null;
  failed_ms: number | null;
  last_error: string | null;
  created_ms: number;
  generation_id: string | null;
  user_id: string | null;
}

const PENDING = "delivered_ms IS NULL AND failed_ms IS NULL";

/**
 * The outbox's statements, the same SQL for SQLite and D1; each lists its parameters in order.
 * Armed deliveries (next_attempt_ms = ARMED_DUE_MS) are pending but never due.
 */
export const WEBHOOK_OUTBOX_SQL = {
  /** webhookDeliveryValues(d) */
  insert: `INSERT INTO webhook_outbox (id, key_id, url, event_type, payload, attempts, next_attempt_ms, created_ms, generation_id, user_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** event_type, payload, due, generation_id, ARMED_DUE_MS */
  complete: `UPDATE webhook_outbox SET event_type = ?, payload = ?, next_attempt_ms = ?
    WHERE generation_id = ? AND next_attempt_ms = ? AND ${PENDING}`,
  /** ARMED_DUE_MS, limit */
  armed: `SELECT * FROM webhook_outbox WHERE ${PENDING} AND next_attempt_ms = ? ORDER BY created_ms LIMIT ?`,
  /** now, limit */
  due: `SELECT * FROM webhook_outbox WHERE ${PENDING} AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?`,
  /** ARMED_DUE_MS; one row, column next (NULL when nothing is pending) */
  nextDue: `SELECT MIN(next_attempt_ms) AS next FROM webhook_outbox WHERE ${PENDING} AND next_attempt_ms < ?`,
  /** delivered_ms, id */
  delivered: "UPDATE webhook_outbox SET delivered_ms = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
  /** attempts, next_attempt_ms, lastErrorText(error), id */
  reschedule: "UPDATE webhook_outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?",
  /** attempts, failed_ms, lastErrorText(error), id */
  failed: "UPDATE webhook_outbox SET attempts = ?, failed_ms = ?, last_error = ? WHERE id = ?",
  /** id */
  get: "SELECT * FROM webhook_outbox WHERE id = ?",
} as const;

export function webhookDeliveryValues(d: WebhookDelivery): (string | number | null)[] {
  return [d.id, d.keyId, d.url, d.eventType, d.payload, d.attempts, d.nextAttemptMs, d.createdMs, d.generationId ?? null, d.userId ?? null];
}

export function webhookDeliveryFromRow(r: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    keyId: r.key_id,
    url: r.url,
    eventType: r.event_type,
    payload: r.payload,
    attempts: r.attempts,
    nextAttemptMs: r.next_attempt_ms,
    createdMs: r.created_ms,
    generationId: r.generation_id,
    userId: r.user_id,
  };
}

export function storedWebhookDeliveryFromRow(r: WebhookDeliveryRow): StoredWebhookDelivery {
  return { ...webhookDeliveryFromRow(r), deliveredMs: r.delivered_ms, failedMs: r.failed_ms, lastError: r.last_error };
}
