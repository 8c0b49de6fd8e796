-- The creator's knowledge base: documents (a file or a URL each) cut into chunks of about 1,000
-- characters, searchable with FTS5's BM25, so a suggested reply can cite what it stands on.
CREATE TABLE kb_sources (
  id            INTEGER PRIMARY KEY,
  location      TEXT NOT NULL UNIQUE,  -- an absolute path, or a URL
  kind          TEXT NOT NULL CHECK (kind IN ('markdown', 'text', 'html', 'pdf')),
  title         TEXT NOT NULL DEFAULT '',
  content_hash  TEXT NOT NULL,         -- SHA-256 of the bytes read, to tell a change
  bytes         INTEGER NOT NULL,
  source_mtime  INTEGER,               -- a file's modification time when read
  added_at      INTEGER NOT NULL,
  indexed_at    INTEGER NOT NULL
);

CREATE TABLE kb_chunks (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES kb_sources(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,       -- order in the source
  heading       TEXT NOT NULL DEFAULT '',  -- the heading path, "Guide > Refunds", or "page 3"
  start_offset  INTEGER NOT NULL,       -- bytes, in the source's extracted text
  end_offset    INTEGER NOT NULL,
  text          TEXT NOT NULL,
  hash          TEXT NOT NULL,          -- SHA-256 of the text: embeddings are cached by it
  UNIQUE (source_id, seq)
);

-- The index, over the chunks' text and headings (external content: no second copy of the text);
-- English words stemmed (porter: "refunds" finds "refund").
CREATE VIRTUAL TABLE kb_fts USING fts5(text, heading, content='kb_chunks', content_rowid='id',
                                       tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
  INSERT INTO kb_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
END;
CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
  INSERT INTO kb_fts(kb_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
END;
