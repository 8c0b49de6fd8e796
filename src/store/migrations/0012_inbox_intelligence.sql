-- Inbox intelligence: suggested replies (the latest run's, per item: the text, the knowledge
-- base chunks it cites, a confidence, which model and prompt made it), and triage labels
-- (inbox_items.triage: JSON with intent, sentiment, urgency, language, toxicity, by, model,
-- template, at), indexed for `inbox list --label --urgent`.
CREATE TABLE inbox_suggestions (
  id          INTEGER PRIMARY KEY,
  item_id     INTEGER NOT NULL REFERENCES inbox_items(id) ON DELETE CASCADE,
  number      INTEGER NOT NULL,
  text        TEXT NOT NULL,
  sources     TEXT NOT NULL DEFAULT '[]',
  confidence  REAL NOT NULL,
  grounded    INTEGER NOT NULL,
  model       TEXT NOT NULL,
  template    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (item_id, number)
);
CREATE INDEX inbox_items_intent ON inbox_items(json_extract(triage, '$.intent')) WHERE triage IS NOT NULL;
