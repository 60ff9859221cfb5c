-- Issue 12: per-key cap on generations in flight, per-key webhook signing secret, and the
-- persisted webhook outbox (deliveries retried with backoff across restarts, at-least-once).

-- NULL: the default cap (functions/rate-limit/key-limits.ts).
ALTER TABLE api_keys ADD COLUMN max_in_flight INTEGER;
-- Standard Webhooks secret ("whsec_" + base64); NULL until created or rotated.
ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT;

CREATE TABLE webhook_outbox (
  -- The webhook-id header: the same on every attempt, so receivers can deduplicate.
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  url TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  delivered_ms INTEGER,
  failed_ms INTEGER,
  last_error TEXT,
  created_ms INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_ms) WHERE delivered_ms IS NULL AND failed_ms IS NULL;
