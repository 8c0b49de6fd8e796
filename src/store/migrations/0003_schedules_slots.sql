-- 0003: recurring schedules and posting slots.
-- A schedule keeps the content as a template post; each occurrence copies it into a post of its
-- own with one delivery per account, so every published occurrence has its own remote id and
-- metrics, and (post, account) stays unique.
CREATE TABLE schedules (
  id                  INTEGER PRIMARY KEY,
  post_id             INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  accounts            TEXT NOT NULL,              -- JSON array of account ids
  rule                TEXT NOT NULL,              -- as written: a readable rule or an RRULE
  tz                  TEXT NOT NULL,              -- IANA zone the rule is expanded in
  starts_at           INTEGER NOT NULL,
  until_at            INTEGER,
  max_count           INTEGER,
  occurrences         INTEGER NOT NULL DEFAULT 0, -- generated so far
  last_occurrence_at  INTEGER,                    -- the newest generated; the next comes after it
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended', 'cancelled')),
  created_at          INTEGER NOT NULL
);
CREATE INDEX schedules_by_status ON schedules (status, last_occurrence_at);

ALTER TABLE deliveries ADD COLUMN schedule_id INTEGER REFERENCES schedules(id) ON DELETE SET NULL;

-- Posting slots per account: a readable rule ("mon-fri 09:00,13:00") in a zone.
CREATE TABLE slots (
  account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  rule        TEXT NOT NULL,
  tz          TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
