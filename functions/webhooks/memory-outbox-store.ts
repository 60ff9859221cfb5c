/**
 * The webhook outbox in one process's memory: nothing survives the process, so it only suits tests
 * and a throwaway edge. Every call is one synchronous step, as atomic as the SQL stores' statements.
 */
import { ARMED_DUE_MS, lastErrorText, type StoredWebhookDelivery, type WebhookDelivery, type WebhookOutboxStore } from "./outbox-store.ts";

type Entry = { -readonly [K in keyof StoredWebhookDelivery]: StoredWebhookDelivery[K] };

export function createMemoryWebhookOutboxStore(): WebhookOutboxStore {
  const entries = new Map<string, Entry>();
  const pending = () => [...entries.values()].filter((e) => e.deliveredMs === null && e.failedMs === null);
  const copy = (e: Entry): WebhookDelivery => ({
    id: e.id,
    keyId: e.keyId,
    url: e.url,
    eventType: e.eventType,
    payload: e.payload,
    attempts: e.attempts,
    nextAttemptMs: e.nextAttemptMs,
    createdMs: e.createdMs,
    generationId: e.generationId ?? null,
    userId: e.userId ?? null,
  });
  return {
    async enqueue(d) {
      if (entries.has(d.id)) throw new Error(`webhook delivery ${d.id} already exists`);
      entries.set(d.id, { ...d, generationId: d.generationId ?? null, userId: d.userId ?? null, deliveredMs: null, failedMs: null, lastError: null });
    },
    async complete(generationId, eventType, payload, dueMs) {
      const e = pending().find((p) => p.generationId === generationId && p.nextAttemptMs === ARMED_DUE_MS);
      if (!e) return false;
      Object.assign(e, { eventType, payload, nextAttemptMs: dueMs });
      return true;
    },
    async armed(limit) {
      return pending()
        .filter((e) => e.nextAttemptMs === ARMED_DUE_MS)
        .sort((a, b) => a.createdMs - b.createdMs)
        .slice(0, limit)
        .map(copy);
    },
    async due(nowMs, limit) {
      return pending()
        .filter((e) => e.nextAttemptMs <= nowMs)
        .sort((a, b) => a.nextAttemptMs - b.nextAttemptMs || a.createdMs - b.createdMs)
        .slice(0, limit)
        .map(copy);
    },
    async nextDueMs() {
      const times = pending()
        .map((e) => e.nextAttemptMs)
        .filter((t) => t < ARMED_DUE_MS);
      return times.length > 0 ? Math.min(...times) : undefined;
    },
    async markDelivered(id, nowMs) {
      const e = entries.get(id);
      if (e) Object.assign(e, { deliveredMs: nowMs, attempts: e.attempts + 1, lastError: null });
    },
    async reschedule(id, attempts, nextAttemptMs, error) {
      const e = entries.get(id);
      if (e) Object.assign(e, { attempts, nextAttemptMs, lastError: lastErrorText(error) });
    },
    async markFailed(id, attempts, nowMs, error) {
      const e = entries.get(id);
      if (e) Object.assign(e, { attempts, failedMs: nowMs, lastError: lastErrorText(error) });
    },
    async get(id) {
      const e = entries.get(id);
      return e ? { ...copy(e), deliveredMs: e.deliveredMs, failedMs: e.failedMs, lastError: e.lastError } : undefined;
    },
  };
}
