-- Issue 12: a webhook delivery is armed when its generation starts (payload empty, never due), so a
-- generation the edge could not finish (the process died; failed as edge_restarted at the next
-- start) still gets its generation.failed delivery.
ALTER TABLE webhook_outbox ADD COLUMN generation_id TEXT;
ALTER TABLE webhook_outbox ADD COLUMN user_id TEXT;
CREATE INDEX webhook_outbox_generation ON webhook_outbox (generation_id);
