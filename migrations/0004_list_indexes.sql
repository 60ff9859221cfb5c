-- Issue: list endpoints (GET /v1/identities, GET /v1/generations). Each user's rows newest first,
-- paged by position (created_ms, id): these indexes answer the page queries without a sort.
CREATE INDEX identities_user_created ON identities (user_id, created_ms, id);
CREATE INDEX generations_user_created ON generations (user_id, created_ms, id);
CREATE INDEX generations_user_identity_created ON generations (user_id, identity_id, created_ms, id);
