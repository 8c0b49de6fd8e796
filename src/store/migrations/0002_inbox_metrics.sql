-- 0002: the inbox, poll cursors, metrics over time, and the record of LLM calls and AI decisions.
CREATE TABLE inbox_items (
  id                INTEGER PRIMARY KEY,
  account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind              TEXT NOT NULL CHECK (kind IN ('reply', 'comment', 'mention', 'quote', 'dm')),
  remote_id         TEXT NOT NULL,
  thread_id         TEXT,            -- conversation / root post on the network
  parent_remote_id  TEXT,            -- what it answers, when known
  delivery_id       INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
  author            TEXT NOT NULL,
  author_name       TEXT,
  text              TEXT NOT NULL,
  url               TEXT,
  created_at        INTEGER NOT NULL,
  fetched_at        INTEGER NOT NULL,
  status            TEXT NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'read', 'replied', 'ignored', 'escalated', 'done')),
  triage            TEXT,
  reply_remote_id   TEXT,
  meta              TEXT NOT NULL DEFAULT '{}',  -- provider data needed to answer (JSON)
  UNIQUE (account_id, remote_id)
);
CREATE INDEX inbox_by_status ON inbox_items (status, created_at);

CREATE TABLE cursors (
  account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  stream      TEXT NOT NULL,
  cursor      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, stream)
);

CREATE TABLE metrics (
  id           INTEGER PRIMARY KEY,
  delivery_id  INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  taken_at     INTEGER NOT NULL,
  likes        INTEGER NOT NULL DEFAULT 0,
  reposts      INTEGER NOT NULL DEFAULT 0,
  replies      INTEGER NOT NULL DEFAULT 0,
  quotes       INTEGER NOT NULL DEFAULT 0,
  views        INTEGER              -- NULL where the network does not report views
);
CREATE INDEX metrics_by_delivery ON metrics (delivery_id, taken_at);

CREATE TABLE account_metrics (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  taken_at    INTEGER NOT NULL,
  followers   INTEGER NOT NULL,
  following   INTEGER,
  posts       INTEGER
);
CREATE INDEX account_metrics_by_account ON account_metrics (account_id, taken_at);

CREATE TABLE llm_calls (
  id                 INTEGER PRIMARY KEY,
  backend            TEXT NOT NULL,
  model              TEXT NOT NULL,
  purpose            TEXT NOT NULL,
  prompt             TEXT NOT NULL,
  response           TEXT,
  prompt_tokens      INTEGER,
  completion_tokens  INTEGER,
  latency_ms         INTEGER,
  status             TEXT NOT NULL,
  error              TEXT,
  created_at         INTEGER NOT NULL
);

CREATE TABLE ai_decisions (
  id             INTEGER PRIMARY KEY,
  inbox_item_id  INTEGER REFERENCES inbox_items(id) ON DELETE CASCADE,
  llm_call_id    INTEGER REFERENCES llm_calls(id) ON DELETE SET NULL,
  decision       TEXT NOT NULL,
  reason         TEXT,
  reply_text     TEXT,
  created_at     INTEGER NOT NULL
);
