// crier kb add|list|show|rm|refresh|search: the knowledge base suggested replies cite.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "error.hpp"
#include "kb/knowledge_base.hpp"
#include "llm_setup.hpp"
#include "log.hpp"
#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "output/table.hpp"
#include "store/store.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

using nlohmann::json;

struct KbOptions {
  std::vector<std::string> paths;
  std::vector<int64_t> ids;
  std::string query;
  int limit = 5;
  bool full = false;
  bool words_only = false;  // add, refresh: no embeddings; search: BM25 alone
};

std::string fmt_score(double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", score);
  return buf;
}

json source_json(const KbSource& s) {
  json j = {{"id", s.id},
            {"location", s.location},
            {"kind", s.kind},
            {"title", s.title},
            {"bytes", s.bytes},
            {"chunks", s.chunks},
            {"sha256", s.content_hash},
            {"added_at", format_utc(s.added_at)},
            {"indexed_at", format_utc(s.indexed_at)}};
  return j;
}

json chunk_json(const KbChunk& c) {
  return {{"id", c.id},       {"source_id", c.source_id}, {"seq", c.seq},   {"heading", c.heading},
          {"start", c.start_offset}, {"end", c.end_offset}, {"text", c.text}};
}

// The chunks embedded with the configured embedding model, when there is one (and not
// --words-only): what is missing is embedded, whatever changed.
std::optional<KbEmbedded> embed_chunks(const KbOptions& o, Context& ctx) {
  if (o.words_only || ctx.config().get("llm.embedding_model").empty()) return std::nullopt;
  KbEmbedded r;
  try {
    auto embedder = configured_embedder(ctx);
    r = kb_embed(ctx.engine(), *embedder, [&ctx](const std::string& what) { ctx.progress(what); });
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::internal) throw;
    r.error = e.what();
    auto [have, chunks] = ctx.store().kb_embedded_count(embedding_key(ctx));
    r.have = have;
    r.chunks = chunks;
  }
  ctx.progress("");
  return r;
}

json embedded_json(Context& ctx, const KbEmbedded& e) {
  json j = {{"model", embedding_key(ctx)}, {"embedded", e.embedded}, {"have", e.have}, {"chunks", e.chunks}};
  if (!e.error.empty()) j["error"] = e.error;
  return j;
}

// What kb add and kb refresh did, a line per source; exit 0, or 6 when one failed (the others
// are indexed) or embedding stopped, or 2 when every one failed.
int report_changes(Context& ctx, const std::vector<KbChange>& changes,
                   const std::optional<KbEmbedded>& embedded) {
  int failed = 0, missing = 0;
  json list = json::array();
  for (const auto& c : changes) {
    json j = c.source.id ? source_json(c.source) : json{{"location", c.source.location}};
    j["result"] = c.what;
    if (!c.error.empty()) j["error"] = c.error;
    list.push_back(j);
    if (c.what == "failed") ++failed;
    if (c.what == "missing") ++missing;
    if (ctx.global().json) continue;
    if (c.what == "failed") {
      ctx.err << "crier: error: " << terminal_safe(c.error) << "\n";
    } else if (c.what == "missing") {
      ctx.err << "crier: warning: " << terminal_safe(c.error) << " (kept; crier kb rm " << c.source.id
              << " forgets it)\n";
    } else {
      ctx.info(c.what + " " + std::to_string(c.source.id) + " " + c.source.location +
               (c.what == "unchanged" ? "" : " (" + count_of(c.source.chunks, "chunk", "chunks") + ")"));
    }
  }
  if (embedded && !ctx.global().json) {
    std::string key = embedding_key(ctx);
    std::string have = std::to_string(embedded->have) + " of " + std::to_string(embedded->chunks) +
                       " chunks have vectors of " + key;
    if (!embedded->error.empty())
      ctx.err << "crier: warning: embedding stopped: " << terminal_safe(embedded->error) << "\n"
              << "  " << have << "; kb search finds the rest by words until crier kb refresh embeds them\n";
    else if (embedded->embedded > 0)
      ctx.info("embedded " + count_of(embedded->embedded, "chunk", "chunks") + " (" + have + ")");
  }
  if (ctx.global().json) {
    json j = {{"sources", list}};
    if (embedded) j["embeddings"] = embedded_json(ctx, *embedded);
    ctx.print_json(j);
  }
  bool embed_failed = embedded && !embedded->error.empty();
  if (failed == 0 && missing == 0) return embed_failed ? exit_code::partial : exit_code::ok;
  if (failed == static_cast<int>(changes.size())) return exit_code::usage;
  return exit_code::partial;
}

int run_add(const KbOptions& o, Context& ctx) {
  auto progress = [&ctx](const std::string& what) { ctx.progress(what); };
  auto changes = kb_add(ctx.engine(), ctx.http(), o.paths, progress);
  ctx.progress("");
  auto embedded = embed_chunks(o, ctx);
  return report_changes(ctx, changes, embedded);
}

int run_refresh(const KbOptions& o, Context& ctx) {
  auto progress = [&ctx](const std::string& what) { ctx.progress(what); };
  auto changes = kb_refresh(ctx.engine(), ctx.http(), o.ids, progress);
  ctx.progress("");
  if (changes.empty() && !ctx.global().json) {
    ctx.info("the knowledge base is empty; try: crier kb add ~/notes/faq.md");
    return 0;
  }
  auto embedded = embed_chunks(o, ctx);
  return report_changes(ctx, changes, embedded);
}

int run_list(Context& ctx) {
  std::vector<KbSource> sources;
  if (Store* s = ctx.existing_store()) sources = s->list_kb_sources();
  Timestamp now = ctx.clock().now();
  if (ctx.global().json) {
    json list = json::array();
    for (const auto& s : sources) {
      json j = source_json(s);
      std::string state = kb_file_state(s);
      j["state"] = state.empty() ? json(nullptr) : json(state);
      list.push_back(j);
    }
    json j = {{"sources", list}};
    if (std::string key = embedding_key(ctx); !key.empty() && ctx.existing_store()) {
      auto [have, chunks] = ctx.store().kb_embedded_count(key);
      j["embeddings"] = {{"model", key}, {"have", have}, {"chunks", chunks}};
    }
    ctx.print_json(j);
    return 0;
  }
  if (sources.empty()) {
    ctx.info("the knowledge base is empty; try: crier kb add ~/notes/faq.md ~/site/docs/");
    return 0;
  }
  Table t({"ID", "KIND", "CHUNKS", "INDEXED", "SOURCE", "STATE"});
  for (const auto& s : sources) {
    std::string state = kb_file_state(s);
    t.add({std::to_string(s.id), s.kind, std::to_string(s.chunks), format_relative(s.indexed_at, now), s.location,
           state.empty() ? "url: kb refresh reads it" : state == "same" ? "unchanged" : state});
  }
  ctx.print_table(t);
  if (std::string key = embedding_key(ctx); !key.empty()) {
    auto [have, chunks] = ctx.store().kb_embedded_count(key);
    ctx.info("by meaning too: " + std::to_string(have) + " of " + std::to_string(chunks) +
             " chunks have vectors of " + key + (have < chunks ? " (crier kb refresh embeds the rest)" : ""));
  }
  return 0;
}

KbSource must_find(Context& ctx, int64_t id) {
  Store* store = ctx.existing_store();
  auto s = store ? store->find_kb_source(id) : std::nullopt;
  if (!s) throw Error(ErrorKind::not_found, "no knowledge base source " + std::to_string(id), "see: crier kb list");
  return *s;
}

int run_show(const KbOptions& o, Context& ctx) {
  KbSource s = must_find(ctx, o.ids.at(0));
  auto chunks = ctx.store().kb_chunks(s.id);
  if (ctx.global().json) {
    json j = source_json(s);
    json list = json::array();
    for (const auto& c : chunks) list.push_back(chunk_json(c));
    j["chunk_list"] = list;
    ctx.print_json(j);
    return 0;
  }
  const Style& st = ctx.style();
  ctx.out << st.bold(terminal_safe(s.title)) << "\n"
          << terminal_safe(s.location) << "\n"
          << s.kind << ", " << s.bytes << " bytes, " << count_of(s.chunks, "chunk", "chunks") << ", indexed "
          << show_time(ctx, s.indexed_at) << "\n";
  for (const auto& c : chunks) {
    ctx.out << "\n"
            << st.dim("[" + std::to_string(c.seq + 1) + "] " + terminal_safe(kb_citation(s.location, c.heading)) +
                      " (bytes " + std::to_string(c.start_offset) + "-" + std::to_string(c.end_offset) + ")")
            << "\n";
    std::string text = c.text;
    if (!o.full && text.size() > 240) {
      size_t cut = 240;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      text = text.substr(0, cut) + "…";
    }
    ctx.out << terminal_safe(text) << "\n";
  }
  return 0;
}

int run_rm(const KbOptions& o, Context& ctx) {
  for (int64_t id : o.ids) must_find(ctx, id);  // all there, or nothing removed
  for (int64_t id : o.ids) {
    ctx.store().remove_kb_source(id);
    if (!ctx.global().json) ctx.info("removed " + std::to_string(id));
  }
  ctx.store().prune_kb_embeddings();
  if (ctx.global().json) ctx.print_json({{"removed", o.ids}});
  return 0;
}

int run_search(const KbOptions& o, Context& ctx) {
  Store* store = ctx.existing_store();
  std::unique_ptr<Embedder> embedder;
  if (!o.words_only && store) embedder = embedder_or_words(ctx);
  if (fts_any_words(o.query).empty() && !embedder)
    throw Error(ErrorKind::invalid_input, "the query has no words to search for", "crier kb search \"refund policy\"");
  std::vector<KbHit> hits;
  KbSearch how;
  how.limit = o.limit;
  how.embedder = embedder.get();
  how.min_similarity = embedding_min_similarity(ctx);
  bool by_meaning = false;
  if (store) hits = kb_search(ctx.engine(), o.query, how, &by_meaning);
  if (ctx.global().json) {
    json list = json::array();
    for (const auto& h : hits) {
      json j = chunk_json(h.chunk);
      j["location"] = h.location;
      j["title"] = h.title;
      j["citation"] = kb_citation(h.location, h.chunk.heading);
      j["score"] = h.score;
      j["bm25"] = h.bm25 ? json(*h.bm25) : json(nullptr);
      j["similarity"] = h.similarity ? json(*h.similarity) : json(nullptr);
      j["snippet"] = plain_snippet(h.snippet);
      list.push_back(j);
    }
    ctx.print_json(
        {{"query", o.query}, {"ranked_by", by_meaning ? "words+meaning" : "words"}, {"results", list}});
    return 0;
  }
  if (hits.empty()) {
    ctx.info("nothing in the knowledge base matches" +
             std::string(store && !store->list_kb_sources().empty() ? "" : " (it is empty: crier kb add FILE)"));
    return exit_code::failure;
  }
  const Style& st = ctx.style();
  int n = 0;
  for (const auto& h : hits) {
    std::string snippet = show_snippet(ctx, h.snippet);
    ctx.out << st.bold("[" + std::to_string(++n) + "]") << " "
            << terminal_safe(kb_citation(h.location, h.chunk.heading))
            << st.dim("  chunk " + std::to_string(h.chunk.id) + ", score " + fmt_score(h.score) +
                      (h.similarity ? ", similarity " + fmt_score(*h.similarity) : "") +
                      (by_meaning && !h.bm25 ? ", by meaning" : ""))
            << "\n"
            << "    " << snippet << "\n";
  }
  return 0;
}

}  // namespace

void add_kb(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<KbOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand("add", "index files, folders (recursively) or URLs: Markdown, text, HTML, PDF");
  add->add_option("paths", o->paths, "files, folders or http(s) URLs")->required();
  add->add_flag("--words-only", o->words_only, "index for word search only: no embeddings now");
  add->callback([o, &selected] { selected = [o](Context& c) { return run_add(*o, c); }; });
  auto* list = cmd->add_subcommand("list", "the sources, with their chunks, age and whether they changed");
  list->callback([&selected] { selected = run_list; });
  auto* show = cmd->add_subcommand("show", "a source and its chunks (--full: whole chunks)");
  show->add_option("id", o->ids, "source id")->required()->expected(1);
  show->add_flag("--full", o->full, "print each chunk whole");
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });
  auto* rm = cmd->add_subcommand("rm", "forget sources (the files themselves are not touched)");
  rm->add_option("ids", o->ids, "source ids")->required();
  rm->callback([o, &selected] { selected = [o](Context& c) { return run_rm(*o, c); }; });
  auto* refresh = cmd->add_subcommand("refresh", "read the sources again and re-index what changed");
  refresh->add_option("ids", o->ids, "source ids (default: all)");
  refresh->add_flag("--words-only", o->words_only, "re-index for word search only: no embeddings now");
  refresh->callback([o, &selected] { selected = [o](Context& c) { return run_refresh(*o, c); }; });
  auto* search = cmd->add_subcommand(
      "search", "the chunks that best match the words (BM25), and the meaning with an embedding model");
  search->add_option("query", o->query, "words to look for")->required();
  search->add_option("-n,--limit", o->limit, "at most N results (default 5)")->check(CLI::Range(1, 100));
  search->add_flag("--words-only", o->words_only, "BM25 alone, even with an embedding model");
  search->callback([o, &selected] { selected = [o](Context& c) { return run_search(*o, c); }; });
}

}  // namespace crier
