-- Searching the inbox: every item's text and author, and the text of our answer to it, in an
-- FTS5 index kept by triggers (English words stemmed, as for the knowledge base).
ALTER TABLE inbox_items ADD COLUMN reply_text TEXT;
CREATE VIRTUAL TABLE inbox_fts USING fts5(text, author, author_name, reply_text, content='inbox_items',
                                          content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO inbox_fts(inbox_fts) VALUES ('rebuild');
CREATE TRIGGER inbox_items_ai AFTER INSERT ON inbox_items BEGIN
  INSERT INTO inbox_fts(rowid, text, author, author_name, reply_text)
  VALUES (new.id, new.text, new.author, new.author_name, new.reply_text);
END;
CREATE TRIGGER inbox_items_ad AFTER DELETE ON inbox_items BEGIN
  INSERT INTO inbox_fts(inbox_fts, rowid, text, author, author_name, reply_text)
  VALUES ('delete', old.id, old.text, old.author, old.author_name, old.reply_text);
END;
CREATE TRIGGER inbox_items_au AFTER UPDATE OF text, author, author_name, reply_text ON inbox_items BEGIN
  INSERT INTO inbox_fts(inbox_fts, rowid, text, author, author_name, reply_text)
  VALUES ('delete', old.id, old.text, old.author, old.author_name, old.reply_text);
  INSERT INTO inbox_fts(rowid, text, author, author_name, reply_text)
  VALUES (new.id, new.text, new.author, new.author_name, new.reply_text);
END;
