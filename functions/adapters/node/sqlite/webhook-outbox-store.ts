/** The webhook outbox in the edge's SQLite file (table webhook_outbox, migrations/0002). */
import type { WebhookDelivery, WebhookOutboxStore } from "../../../webhooks/outbox-store.ts";
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
});

export function createSqliteWebhookOutboxStore(db: SqliteDatabase): WebhookOutboxStore {
  const insert = db.prepare(
    `INSERT INTO webhook_outbox (id, key_id, url, event_type, payload, attempts, next_attempt_ms, created_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const pending = "delivered_ms IS NULL AND failed_ms IS NULL";
  const due = db.prepare<[number, number], Row>(
    `SELECT * FROM webhook_outbox WHERE ${pending} AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?`,
  );
  const nextDue = db.prepare<[], { next: number | null }>(`SELECT MIN(next_attempt_ms) AS next FROM webhook_outbox WHERE ${pending}`);
  const delivered = db.prepare("UPDATE webhook_outbox SET delivered_ms = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?");
  const reschedule = db.prepare("UPDATE webhook_outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?");
  const failed = db.prepare("UPDATE webhook_outbox SET attempts = ?, failed_ms = ?, last_error = ? WHERE id = ?");
  const get = db.prepare<[string], Row>("SELECT * FROM webhook_outbox WHERE id = ?");

  return {
    async enqueue(d) {
      insert.run(d.id, d.keyId, d.url, d.eventType, d.payload, d.attempts, d.nextAttemptMs, d.createdMs);
    },
    async due(nowMs, limit) {
      return due.all(nowMs, limit).map(fromRow);
    },
    async nextDueMs() {
      return nextDue.get()?.next ?? undefined;
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
