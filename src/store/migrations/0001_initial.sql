-- 0001: accounts, their secrets, posts and deliveries (the publishing queue).
-- Times are INTEGER seconds since the Unix epoch, UTC. SQL kept portable to PostgreSQL.
CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY,
  network     TEXT NOT NULL,
  handle      TEXT NOT NULL,
  server      TEXT NOT NULL DEFAULT '',
  alias       TEXT UNIQUE,
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'auth_failed', 'paused')),
  settings    TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  UNIQUE (network, handle)
);

-- Credentials live apart from accounts so that listing accounts never reads them.
CREATE TABLE secrets (
  account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  data        TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE posts (
  id          INTEGER PRIMARY KEY,
  text        TEXT NOT NULL,
  thread      INTEGER NOT NULL DEFAULT 0,   -- 1: split into a thread where a network needs it
  parts       TEXT NOT NULL DEFAULT '[]',   -- JSON array: parts the author split by hand
  media       TEXT NOT NULL DEFAULT '[]',   -- JSON array of {path, alt, mime, bytes}
  link        TEXT,
  options     TEXT NOT NULL DEFAULT '{}',   -- JSON: lang, visibility, content_warning
  origin      TEXT NOT NULL DEFAULT 'typed' CHECK (origin IN ('typed', 'drafted', 'template')),
  status      TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('draft', 'ready')),
  created_at  INTEGER NOT NULL
);

CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY,
  post_id          INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status           TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'publishing', 'published', 'failed', 'dead', 'cancelled')),
  due_at           INTEGER NOT NULL,
  tz               TEXT NOT NULL DEFAULT 'UTC',
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  lease_owner      TEXT,
  lease_until      INTEGER,
  idempotency_key  TEXT NOT NULL UNIQUE,
  remote_id        TEXT,
  remote_url       TEXT,
  last_error       TEXT,
  last_error_kind  TEXT,
  published_at     INTEGER,
  created_at       INTEGER NOT NULL,
  UNIQUE (post_id, account_id)
);
CREATE INDEX deliveries_by_status_due ON deliveries (status, due_at);
CREATE INDEX deliveries_by_account ON deliveries (account_id, status);
