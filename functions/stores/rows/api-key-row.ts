/**
 * The api_keys table's row (migrations/0001 and later) and its record: one mapping for every SQL
 * store (SQLite on Node, D1 on Workers).
 */
import type { ApiKeyRecord } from "../api-key-store.ts";

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  requests_burst: number;
  requests_per_minute: number;
  cost_burst: number;
  cost_per_minute: number;
  /** Columns of a later migration: absent from rows read before it ran. */
  max_in_flight?: number | null;
  webhook_secret?: string | null;
  created_ms: number;
  revoked_ms: number | null;
}

export function apiKeyFromRow(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    hash: r.hash,
    limits: {
      requestsBurst: r.requests_burst,
      requestsPerMinute: r.requests_per_minute,
      costBurst: r.cost_burst,
      costPerMinute: r.cost_per_minute,
      ...(r.max_in_flight != null ? { maxInFlight: r.max_in_flight } : {}),
    },
    createdMs: r.created_ms,
    revokedMs: r.revoked_ms,
    webhookSecret: r.webhook_secret ?? null,
  };
}
