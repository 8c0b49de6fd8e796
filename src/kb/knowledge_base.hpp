// The creator's knowledge base: documents (Markdown, text, HTML, PDF; files, folders or URLs)
// read, cut into chunks (kb/chunker.hpp) and indexed for full-text search (FTS5, BM25), so a
// suggested reply can cite what it stands on. No model is needed for any of it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "kb/chunker.hpp"
#include "store/types.hpp"

namespace crier {

class Transport;
class Embedder;

// A document's text, as crier indexes it.
struct KbDocument {
  std::string kind;  // markdown | text | html | pdf
  std::string title;
  std::string text;
  std::vector<TextSection> sections;
};

// Reads `bytes` as `kind` ("" to tell it from the content). Throws Error(invalid_input) for
// what is not a document crier reads (a binary, a PDF it cannot open, text that is not UTF-8).
// `progress` hears "page 3 of 200" while a PDF is read.
KbDocument read_document(std::string_view bytes, std::string kind, const std::string& name,
                         const std::function<void(const std::string&)>& progress = nullptr);

// The kind a file's name says ("" when it says none crier reads).
std::string kind_of_name(std::string_view name);

struct KbChange {
  KbSource source;
  std::string what;  // added | updated | unchanged | missing | failed
  std::string error;  // for failed and missing
};

// Adds each file, folder (recursively: the files of kinds crier reads, hidden ones skipped) or
// http(s) URL; one already there is read again and updated when it changed. A source that
// cannot be read is reported (failed) and the others go on. Throws Error(invalid_input) for a
// path that does not exist, before anything is read.
std::vector<KbChange> kb_add(Engine& engine, Transport& http, const std::vector<std::string>& paths,
                             const std::function<void(const std::string&)>& progress = nullptr);
// Reads the sources again (all when `ids` is empty) and re-indexes those that changed.
std::vector<KbChange> kb_refresh(Engine& engine, Transport& http, const std::vector<int64_t>& ids,
                                 const std::function<void(const std::string&)>& progress = nullptr);
// Whether a file changed since it was indexed, without reading more than its metadata unless
// that moved: "same", "changed", "missing", or "" for a URL (kb refresh fetches it).
std::string kb_file_state(const KbSource& source);

// The FTS5 query for what a user typed (the knowledge base, the inbox): its words, each quoted
// (no operator can be injected), any of them matching; "" when it has no words.
std::string fts_any_words(std::string_view query);
// The same, every word matching (a search of the inbox, like grep).
std::string fts_all_words(std::string_view query);
// Best chunks first. Throws Error(invalid_input) for a query without words.
std::vector<KbHit> kb_search(Engine& engine, std::string_view query, int limit);

struct KbSearch {
  int limit = 5;
  // With an embedding model whose vectors the chunks have, the query is embedded too and the
  // chunks nearest it are fused with BM25's by reciprocal rank fusion (k = 60); a chunk found
  // by meaning alone is kept from `min_similarity` up. Without one, or when the model fails
  // (said on stderr), words alone.
  Embedder* embedder = nullptr;
  std::string meaning;  // the text embedded for the query; "" for the query itself
  double min_similarity = 0.3;
  std::string purpose = "kb-search";  // in llm_calls
};
// Throws Error(invalid_input) for a query without words when there is no embedding model.
// `used_meaning`, when given, says whether the ranking by meaning was in it.
std::vector<KbHit> kb_search(Engine& engine, std::string_view query, const KbSearch& how,
                             bool* used_meaning = nullptr);

struct KbEmbedded {
  int64_t embedded = 0;          // vectors made now
  int64_t have = 0, chunks = 0;  // chunks with a vector after, of all
  int calls = 0;
  std::string error;  // the failure that stopped it ("" when all are embedded)
};
// Embeds the chunks that have no vector of this model yet (a text already embedded, under any
// source, is not sent again), in batches of the model's size, storing each batch as it comes:
// a failure keeps what was done, and the next kb add or refresh goes on from there. A batch
// the server refuses is sent a text at a time; the texts it still refuses are counted in
// `error` and the others embedded. `progress` hears "embedding 64 of 1,200 texts".
KbEmbedded kb_embed(Engine& engine, Embedder& embedder,
                    const std::function<void(const std::string&)>& progress = nullptr);
// "faq.md § Refunds": how an answer cites a chunk.
std::string kb_citation(const std::string& location, const std::string& heading);

}  // namespace crier
