/** The webhook outbox in the edge's SQLite file (table webhook_outbox, migrations/0002). */
import { ARMED_DUE_MS, type WebhookDelivery, type WebhookOutboxStore } from "../../../webhooks/outbox-store.ts";
import type { SqliteDatabase } from "./database.ts";

interface Row {
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

const fromRow = (r: Row): WebhookDelivery => ({
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
});

export function createSqliteWebhookOutboxStore(db: SqliteDatabase): WebhookOutboxStore {
  const insert = db.prepare(
    `INSERT INTO webhook_outbox (id, key_id, url, event_type, payload, attempts, next_attempt_ms, created_ms, generation_id, user_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const pending = "delivered_ms IS NULL AND failed_ms IS NULL";
  const due = db.prepare<[number, number], Row>(
    `SELECT * FROM webhook_outbox WHERE ${pending} AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?`,
  );
  const nextDue = db.prepare<[number], { next: number | null }>(
    `SELECT MIN(next_attempt_ms) AS next FROM webhook_outbox WHERE ${pending} AND next_attempt_ms < ?`,
  );
  const delivered = db.prepare("UPDATE webhook_outbox SET delivered_ms = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?");
  const reschedule = db.prepare("UPDATE webhook_outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?");
  const failed = db.prepare("UPDATE webhook_outbox SET attempts = ?, failed_ms = ?, last_error = ? WHERE id = ?");
  const get = db.prepare<[string], Row>("SELECT * FROM webhook_outbox WHERE id = ?");
  const complete = db.prepare(
    `UPDATE webhook_outbox SET event_type = ?, payload = ?, next_attempt_ms = ?
     WHERE generation_id = ? AND next_attempt_ms = ? AND ${pending}`,
  );
  const armed = db.prepare<[number, number], Row>(
    `SELECT * FROM webhook_outbox WHERE ${pending} AND next_attempt_ms = ? ORDER BY created_ms LIMIT ?`,
  );

  return {
    async enqueue(d) {
      insert.run(d.id, d.keyId, d.url, d.eventType, d.payload, d.attempts, d.nextAttemptMs, d.createdMs, d.generationId ?? null, d.userId ?? null);
    },
    async complete(generationId, eventType, payload, dueMs) {
      return complete.run(eventType, payload, dueMs, generationId, ARMED_DUE_MS).changes > 0;
    },
    async armed(limit) {
      return armed.all(ARMED_DUE_MS, limit).map(fromRow);
    },
    async due(nowMs, limit) {
      return due.all(nowMs, limit).map(fromRow);
    },
    async nextDueMs() {
      return nextDue.get(ARMED_DUE_MS)?.next ?? undefined;
    },
    async markDelivered(id, nowMs) {
      delivered.run(nowMs, id);
    },
    async reschedule(id, attempts, nextAttemptMs, error) {
      reschedule.run(attempts, nextAttemptMs, error.slice(0, 500), id);
    },
    async markFailed(id, attempts, nowMs, error) {
      failed.run(attempts, nowMs, error.slice(0, 500), id);
    },
    async get(id) {
      const r = get.get(id);
      return r ? { ...fromRow(r), deliveredMs: r.delivered_ms, failedMs: r.failed_ms, lastError: r.last_error } : undefined;
    },
  };
}
