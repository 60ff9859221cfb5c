-- The edge's schema, version 1: applied in file-name order by the SQLite adapter at open
-- (functions/adapters/node/sqlite/database.ts) and by wrangler to D1
-- (`npx wrangler d1 migrations apply instantid-edge`); both record it in d1_migrations.
-- Never edit a migration that has shipped: add the next numbered file.

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  requests_burst REAL NOT NULL,
  requests_per_minute REAL NOT NULL,
  cost_burst REAL NOT NULL,
  cost_per_minute REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  pack TEXT NOT NULL,
  embedding BLOB NOT NULL,
  kps TEXT NOT NULL,
  bbox TEXT NOT NULL,
  score REAL NOT NULL,
  face_count INTEGER NOT NULL,
  photo_count INTEGER NOT NULL,
  image_width INTEGER NOT NULL,
  image_height INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE (user_id, content_hash)
);

CREATE TABLE generations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  identity_id TEXT NOT NULL,
  pose_identity_id TEXT,
  status TEXT NOT NULL,
  settings TEXT NOT NULL,
  progress_step INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER
);
CREATE INDEX generations_status ON generations (status);

CREATE TABLE generation_images (
  generation_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  mime_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  file_key TEXT NOT NULL,
  PRIMARY KEY (generation_id, idx)
);

CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL,
  status INTEGER,
  content_type TEXT,
  location TEXT,
  body TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE TABLE rate_buckets (
  name TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_ms INTEGER NOT NULL
);
