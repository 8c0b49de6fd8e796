-- 0004: drafts written with a language model, with their provenance.
CREATE TABLE drafts (
  id                 INTEGER PRIMARY KEY,
  topic              TEXT NOT NULL,
  text               TEXT NOT NULL,              -- what `post draft:ID` sends (edited by drafts edit)
  parts              TEXT NOT NULL DEFAULT '[]', -- JSON array: a thread's parts, else empty
  variants           TEXT NOT NULL DEFAULT '[]', -- JSON: every variant, with its counts per network
  template           TEXT NOT NULL,
  backend            TEXT NOT NULL,
  model              TEXT NOT NULL,
  prompt_tokens      INTEGER,
  completion_tokens  INTEGER,
  latency_ms         INTEGER NOT NULL DEFAULT 0,
  calls              INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
