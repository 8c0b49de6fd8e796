-- Embeddings of the knowledge base's chunks, for search by meaning fused with BM25: one vector
-- per embedding model and chunk text (kb_chunks.hash), so a chunk that did not change is not
-- embedded again when its source is re-indexed, and two models' vectors are never compared.
-- A rowid table, so that the (model, hash) index is narrow: counting which chunks have a
-- vector reads the index, not 3 KB of vector a row.
CREATE TABLE kb_embeddings (
  id          INTEGER PRIMARY KEY,
  model       TEXT NOT NULL,     -- "backend:model", e.g. "ollama:nomic-embed-text"
  hash        TEXT NOT NULL,     -- SHA-256 of the chunk's text
  dims        INTEGER NOT NULL,
  vector      BLOB NOT NULL,     -- dims float32s, little-endian, of length 1
  created_at  INTEGER NOT NULL,
  UNIQUE (model, hash)
);
CREATE INDEX kb_chunks_hash ON kb_chunks(hash);
