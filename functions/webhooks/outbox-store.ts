/**
 * The persisted webhook outbox: a delivery is written when a generation ends and stays until the
 * receiver answered 2xx (or the attempts ran out), so a restart loses none. Every attempt sends
 * the same webhook-id: at-least-once, deduplicated by the receiver.
 */

export interface WebhookDelivery {
  /** The webhook-id. */
  readonly id: string;
  /** The API key whose secret signs it. */
  readonly keyId: string;
  readonly url: string;
  /** generation.succeeded | generation.failed | generation.cancelled */
  readonly eventType: string;
  /** The JSON body, exactly as sent and signed. */
  readonly payload: string;
  readonly attempts: number;
  readonly nextAttemptMs: number;
  readonly createdMs: number;
  /** The generation it announces (armed deliveries are completed from it). */
  readonly generationId?: string | null;
  readonly userId?: string | null;
}

/** A delivery as stored, with what became of it. */
export interface StoredWebhookDelivery extends WebhookDelivery {
  readonly deliveredMs: number | null;
  readonly failedMs: number | null;
  readonly lastError: string | null;
}

/** The error kept with a delivery: its first 500 characters. */
export function lastErrorText(error: string): string {
  return error.slice(0, 500);
}

/** Deliveries are armed with this due time: never due until their generation ends. */
export const ARMED_DUE_MS = Number.MAX_SAFE_INTEGER;

export interface WebhookOutboxStore {
  enqueue(delivery: WebhookDelivery): Promise<void>;
  /**
   * Completes the armed delivery of `generationId` with its payload, due at `dueMs`; false when
   * none is armed (then the caller enqueues one).
   */
  complete(generationId: string, eventType: string, payload: string, dueMs: number): Promise<boolean>;
  /** Armed deliveries (their generation had not ended when they were written). */
  armed(limit: number): Promise<WebhookDelivery[]>;
  /** Deliveries due at `nowMs` (not delivered, not given up), oldest first. */
  due(nowMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** When the next pending delivery is due; undefined when none is pending. */
  nextDueMs(): Promise<number | undefined>;
  markDelivered(id: string, nowMs: number): Promise<void>;
  /** Records a failed attempt and when to try again. */
  reschedule(id: string, attempts: number, nextAttemptMs: number, error: string): Promise<void>;
  /** Gives up after the last attempt. */
  markFailed(id: string, attempts: number, nowMs: number, error: string): Promise<void>;
  get(id: string): Promise<StoredWebhookDelivery | undefined>;
}
