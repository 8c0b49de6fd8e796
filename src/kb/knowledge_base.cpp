#include "kb/knowledge_base.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "crypto.hpp"
#include "engine/model_call.hpp"
#include "error.hpp"
#include "http/transport.hpp"
#include "llm/embed.hpp"
#include "output/table.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "store/store.hpp"
#include "text/html_text.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace fs = std::filesystem;
namespace {

constexpr size_t k_max_bytes = 50'000'000;  // a document, file or fetched

bool is_url(std::string_view s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Case-insensitive find of `what` (lower case) in `s` from `from`.
size_t ifind(std::string_view s, std::string_view what, size_t from = 0) {
  if (what.size() > s.size()) return std::string_view::npos;
  for (size_t i = from; i + what.size() <= s.size(); ++i) {
    size_t k = 0;
    while (k < what.size() && std::tolower(static_cast<unsigned char>(s[i + k])) == what[k]) ++k;
    if (k == what.size()) return i;
  }
  return std::string_view::npos;
}

// HTML headings kept as Markdown ones, so the sections (and citations) survive the conversion.
std::string html_with_headings(std::string_view html) {
  std::string out;
  out.reserve(html.size() + 256);
  for (size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '<' && i + 3 < html.size()) {
      bool closing = html[i + 1] == '/';
      size_t h = i + (closing ? 2 : 1);
      if (h + 1 < html.size() && (html[h] == 'h' || html[h] == 'H') && html[h + 1] >= '1' && html[h + 1] <= '6' &&
          h + 2 < html.size() && (html[h + 2] == '>' || html[h + 2] == ' ' || html[h + 2] == '\t' || html[h + 2] == '\n')) {
        size_t end = html.find('>', h);
        if (end == std::string_view::npos) break;
        if (closing) out += "</p>";
        else out += "<p>" + std::string(static_cast<size_t>(html[h + 1] - '0'), '#') + " ";
        i = end;
        continue;
      }
    }
    out += html[i];
  }
  return out;
}

std::string html_title(std::string_view html) {
  size_t a = ifind(html, "<title");
  if (a == std::string_view::npos) return "";
  a = html.find('>', a);
  size_t b = ifind(html, "</title", a == std::string_view::npos ? 0 : a);
  if (a == std::string_view::npos || b == std::string_view::npos) return "";
  return trim_whitespace(html_to_text(html.substr(a + 1, b - a - 1)));
}

// The helper that reads PDFs (src/kb/pdf_text_main.cpp): $CRIER_PDF_TEXT, else beside crier,
// else in ../libexec/crier.
std::string pdf_helper() {
  if (const char* p = std::getenv("CRIER_PDF_TEXT"); p && *p) return p;
  fs::path self = fs::path(self_executable()).parent_path();
  for (const fs::path& p : {self / "crier-pdf-text", self.parent_path() / "libexec" / "crier" / "crier-pdf-text"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
  }
  throw Error(ErrorKind::config, "crier-pdf-text, which reads PDFs, is not installed beside crier",
              "reinstall crier, or set CRIER_PDF_TEXT to its path");
}

KbDocument read_pdf(std::string_view bytes, const std::string& name,
                    const std::function<void(const std::string&)>& progress) {
  if (progress) progress(name + ": reading the PDF's text");
  ProcessOptions po;
  po.stdin_text = std::string(bytes);
  po.timeout = std::chrono::seconds{120};
  po.max_output = 200 * 1024 * 1024;
  std::string lines;  // what the helper said on stderr, up to the last whole line
  if (progress)
    po.on_stderr = [&](std::string_view piece) {
      lines.append(piece);
      size_t end = lines.rfind('\n');
      if (end == std::string::npos) return;
      size_t start = end == 0 ? std::string::npos : lines.rfind('\n', end - 1);
      size_t from = start == std::string::npos ? 0 : start + 1;
      std::string last = lines.substr(from, end - from);
      lines.erase(0, end + 1);
      if (last.rfind("page ", 0) == 0) progress(name + ": reading " + last);
    };
  ProcessResult r = run_process({pdf_helper()}, po);
  if (r.timed_out)
    throw Error(ErrorKind::invalid_input, name + ": reading the PDF took over 2 minutes; stopped",
                "is it a very large or broken PDF?");
  if (r.exit_code == 3)
    throw Error(ErrorKind::invalid_input, name + ": the PDF is encrypted", "add a copy without a password");
  if (r.exit_code != 0)
    throw Error(ErrorKind::invalid_input, name + ": not a PDF crier can read" +
                                              (r.exit_code > 128 ? " (its reader crashed on it)" : ""),
                "is it a whole, valid PDF?");
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("pages") || !j["pages"].is_array())
    throw Error(ErrorKind::internal, name + ": crier-pdf-text answered something that is not its JSON");
  KbDocument d;
  d.kind = "pdf";
  d.title = j.contains("title") && j["title"].is_string() ? trim_whitespace(j["title"].get<std::string>()) : "";
  const auto& pages = j["pages"];
  for (size_t i = 0; i < pages.size(); ++i) {
    std::string t = pages[i].is_string() ? pages[i].get<std::string>() : "";
    size_t start = d.text.size();
    d.text += t;
    d.text += "\n\n";
    d.sections.push_back({"page " + std::to_string(i + 1), start, start + t.size()});
  }
  if (progress) progress(name + ": " + std::to_string(pages.size()) + " pages read");
  if (trim_whitespace(d.text).empty())
    throw Error(ErrorKind::invalid_input, name + ": the PDF has no text to index",
                "a scanned PDF is pictures of text: run it through OCR (e.g. ocrmypdf) first");
  return d;
}

std::string file_name(const std::string& location) {
  std::string n = location;
  while (!n.empty() && n.back() == '/') n.pop_back();
  size_t slash = n.find_last_of('/');
  return slash == std::string::npos ? n : n.substr(slash + 1);
}

struct Read {
  std::string bytes;
  std::string kind;  // from the name or the Content-Type; "" to tell from the content
  std::optional<Timestamp> mtime;
};

Read read_source(Transport& http, const Clock& clock, const std::string& location) {
  Read r;
  if (is_url(location)) {
    HttpRequest q{"GET", location, {{"Accept", "text/html, text/markdown, text/plain, application/pdf;q=0.9, */*;q=0.5"}},
                  "", std::chrono::seconds{30}, k_max_bytes};
    HttpResponse res = http.send(q);
    throw_for_status(res, "fetching " + location, clock.now());
    r.bytes = std::move(res.body);
    std::string type = lower(res.header("Content-Type").value_or(""));
    if (type.find("pdf") != std::string::npos) r.kind = "pdf";
    else if (type.find("html") != std::string::npos) r.kind = "html";
    else if (type.find("markdown") != std::string::npos) r.kind = "markdown";
    else if (type.find("text/plain") != std::string::npos) r.kind = kind_of_name(location) == "markdown" ? "markdown" : "text";
    else r.kind = kind_of_name(location);
    return r;
  }
  std::error_code ec;
  auto size = fs::file_size(location, ec);
  if (ec) throw Error(ErrorKind::invalid_input, location + ": cannot read it: " + ec.message());
  if (size > k_max_bytes)
    throw Error(ErrorKind::invalid_input, location + ": " + std::to_string(size / 1'000'000) + " MB; crier indexes documents of 50 MB at most");
  auto t = fs::last_write_time(location, ec);
  if (!ec)
    r.mtime = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(t));
  r.bytes = read_file(location);
  r.kind = kind_of_name(location);
  return r;
}

// What is in the knowledge base for a location (a new source, or the old one read again).
KbChange index(Engine& engine, Transport& http, const std::string& location,
               const std::function<void(const std::string&)>& progress) {
  KbChange c;
  auto old = engine.store.find_kb_source(location);
  if (old) c.source = *old;
  c.source.location = location;
  try {
    std::error_code gone;
    if (!is_url(location) && !fs::exists(location, gone)) {
      c.what = "missing";
      c.error = location + ": not there any more";
      return c;
    }
    Read r = read_source(http, engine.clock, location);
    std::string hash = sha256_hex(r.bytes);
    if (old && old->content_hash == hash) {
      c.what = "unchanged";
      return c;
    }
    KbDocument doc = read_document(r.bytes, r.kind, file_name(location), progress);
    std::vector<KbChunk> chunks;
    int seq = 0;
    for (auto& t : chunk_sections(doc.text, doc.sections)) {
      KbChunk k;
      k.seq = seq++;
      k.heading = t.heading;
      k.start_offset = static_cast<int64_t>(t.start);
      k.end_offset = static_cast<int64_t>(t.end);
      k.hash = sha256_hex(t.text);
      k.text = std::move(t.text);
      chunks.push_back(std::move(k));
    }
    KbSource s;
    s.location = location;
    s.kind = doc.kind;
    s.title = doc.title.empty() ? file_name(location) : doc.title;
    s.content_hash = hash;
    s.bytes = static_cast<int64_t>(r.bytes.size());
    s.source_mtime = r.mtime;
    s.added_at = engine.clock.now();
    s.indexed_at = engine.clock.now();
    engine.store.put_kb_source(s, chunks);
    c.source = s;
    c.what = old ? "updated" : "added";
  } catch (const Error& e) {
    c.what = "failed";
    c.error = e.what();
  }
  return c;
}

}  // namespace

std::string kind_of_name(std::string_view name) {
  std::string n = lower(std::string(name.substr(0, name.find_first_of("?#"))));
  auto ends = [&n](std::string_view s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
  if (ends(".md") || ends(".markdown") || ends(".mdx")) return "markdown";
  if (ends(".txt") || ends(".text")) return "text";
  if (ends(".html") || ends(".htm") || ends(".xhtml")) return "html";
  if (ends(".pdf")) return "pdf";
  return "";
}

KbDocument read_document(std::string_view bytes, std::string kind, const std::string& name,
                         const std::function<void(const std::string&)>& progress) {
  if (bytes.rfind("%PDF-", 0) == 0) kind = "pdf";
  if (kind.empty()) {
    std::string head = lower(std::string(bytes.substr(0, 512)));
    if (head.find("<!doctype html") != std::string::npos || head.find("<html") != std::string::npos) kind = "html";
    else kind = "text";
  }
  if (kind == "pdf") return read_pdf(bytes, name, progress);
  if (bytes.find('\0') != std::string_view::npos || !is_valid_utf8(bytes))
    throw Error(ErrorKind::invalid_input, name + ": not text crier can read (binary, or not UTF-8)",
                "the knowledge base takes Markdown, plain text, HTML and PDF");
  KbDocument d;
  d.kind = kind;
  if (kind == "html") {
    d.title = html_title(bytes);
    d.text = html_to_text(html_with_headings(bytes));
    d.sections = markdown_sections(d.text);
  } else if (kind == "markdown") {
    d.text = std::string(bytes);
    d.sections = markdown_sections(d.text);
    for (const auto& s : d.sections)
      if (!s.heading.empty()) {
        d.title = s.heading.substr(0, s.heading.find(" > "));
        break;
      }
  } else {
    d.text = std::string(bytes);
    d.sections = {{"", 0, d.text.size()}};
  }
  return d;
}

std::vector<KbChange> kb_add(Engine& engine, Transport& http, const std::vector<std::string>& paths,
                             const std::function<void(const std::string&)>& progress) {
  // Every path checked (and folders walked) before anything is read.
  std::vector<std::string> locations;
  for (const auto& p : paths) {
    if (is_url(p)) {
      locations.push_back(p);
      continue;
    }
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec).lexically_normal();
    if (ec || !fs::exists(abs, ec))
      throw Error(ErrorKind::invalid_input, p + ": no such file or folder", "give files, folders or http(s) URLs");
    if (!fs::is_directory(abs, ec)) {
      locations.push_back(abs.string());
      continue;
    }
    std::vector<std::string> found;
    // Each entry checked with an error code of its own: a dangling link or a loop is skipped,
    // not the end of the walk (links to folders are not followed, so a loop cannot recur).
    auto it = fs::recursive_directory_iterator(abs, fs::directory_options::skip_permission_denied, ec);
    if (ec) throw Error(ErrorKind::invalid_input, p + ": cannot read the folder: " + ec.message());
    for (; it != fs::recursive_directory_iterator();) {
      std::error_code entry;
      std::string leaf = it->path().filename().string();
      if (!leaf.empty() && leaf[0] == '.') {
        if (it->is_directory(entry)) it.disable_recursion_pending();
      } else if (it->is_regular_file(entry) && !kind_of_name(leaf).empty()) {
        found.push_back(it->path().string());
      }
      std::error_code step;
      it.increment(step);
      if (step) {
        spdlog::warn("{}: stopped walking the folder at {}: {}", p, it == fs::recursive_directory_iterator() ? p : it->path().string(), step.message());
        break;
      }
    }
    std::sort(found.begin(), found.end());
    if (found.empty())
      throw Error(ErrorKind::invalid_input, p + ": no Markdown, text, HTML or PDF files in it");
    locations.insert(locations.end(), found.begin(), found.end());
  }
  std::vector<KbChange> out;
  for (const auto& l : locations) {
    if (progress) progress("reading " + l);
    out.push_back(index(engine, http, l, progress));
  }
  engine.store.prune_kb_embeddings();
  return out;
}

std::vector<KbChange> kb_refresh(Engine& engine, Transport& http, const std::vector<int64_t>& ids,
                                 const std::function<void(const std::string&)>& progress) {
  std::vector<KbSource> sources;
  if (ids.empty()) {
    sources = engine.store.list_kb_sources();
  } else {
    for (int64_t id : ids) {
      auto s = engine.store.find_kb_source(id);
      if (!s) throw Error(ErrorKind::invalid_input, "no knowledge base source " + std::to_string(id), "see: crier kb list");
      sources.push_back(*s);
    }
  }
  std::vector<KbChange> out;
  for (const auto& s : sources) {
    if (progress) progress("reading " + s.location);
    out.push_back(index(engine, http, s.location, progress));
  }
  engine.store.prune_kb_embeddings();
  return out;
}

std::string kb_file_state(const KbSource& s) {
  if (is_url(s.location)) return "";
  std::error_code ec;
  if (!fs::exists(s.location, ec)) return "missing";
  auto t = fs::last_write_time(s.location, ec);
  if (!ec && s.source_mtime &&
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(t)) == *s.source_mtime &&
      static_cast<int64_t>(fs::file_size(s.location, ec)) == s.bytes)
    return "same";
  try {
    return sha256_file_hex(s.location) == s.content_hash ? "same" : "changed";
  } catch (const Error&) {
    return "missing";
  }
}

namespace {
std::string fts_words(std::string_view query, const char* joint) {
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    out += (out.empty() ? "" : joint) + ("\"" + word + "\"");
    word.clear();
  };
  for (size_t i = 0; i < query.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(query[i]);
    // Letters and digits (any script: bytes of multi-byte characters) make words; the rest,
    // quotes and FTS5's operators included, separates them.
    if (std::isalnum(c) || c >= 0x80 || c == '_') word += static_cast<char>(c);
    else flush();
  }
  flush();
  return out;
}
}  // namespace

std::string fts_any_words(std::string_view query) { return fts_words(query, " OR "); }
std::string fts_all_words(std::string_view query) { return fts_words(query, " AND "); }

std::vector<KbHit> kb_search(Engine& engine, std::string_view query, int limit) {
  KbSearch how;
  how.limit = limit;
  return kb_search(engine, query, how);
}

std::vector<KbHit> kb_search(Engine& engine, std::string_view query, const KbSearch& how,
                             bool* used_meaning) {
  if (used_meaning) *used_meaning = false;
  const int limit = std::max(1, how.limit);
  std::string match = fts_any_words(query);
  if (match.empty() && !how.embedder)
    throw Error(ErrorKind::invalid_input, "the query has no words to search for");
  if (!how.embedder) return engine.store.search_kb(match, limit);

  // Both lists deeper than asked, so that a chunk second in one and tenth in the other can win.
  const int pool = std::max(limit * 4, 20);
  // Ids and scores only: a snippet costs a MATCH of its own, so only the hits kept get one.
  std::vector<std::pair<int64_t, double>> by_words = match.empty()
                                                         ? std::vector<std::pair<int64_t, double>>{}
                                                         : engine.store.kb_ranked_by_words(match, pool);
  std::vector<std::pair<int64_t, double>> by_meaning;
  const std::string key = how.embedder->key();
  const bool embedded = engine.store.kb_has_vectors(key);
  if (embedded) {
    std::string text = how.meaning.empty() ? std::string(query) : how.meaning;
    try {
      EmbedResult r = call_embedder(engine, *how.embedder, how.purpose, {text}, EmbedTask::query, text);
      by_meaning = engine.store.kb_nearest(key, r.vectors.at(0), pool);
      if (by_meaning.empty())
        spdlog::warn(
            "no stored vector of {} has the length of the query's ({}): has the model changed? crier kb "
            "refresh embeds again",
            key, r.vectors.at(0).size());
      else if (used_meaning)
        *used_meaning = true;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::internal) throw;
      spdlog::warn("search by meaning failed ({}); searching by words alone", e.what());
    }
  } else if (!engine.store.list_kb_sources().empty()) {
    spdlog::warn("no chunk has a vector of {} yet; searching by words alone (crier kb refresh embeds them)",
                 key);
  }
  if (match.empty() && !embedded)
    throw Error(ErrorKind::invalid_input, "the query has no words to search for");

  // Reciprocal rank fusion: each list adds 1 / (60 + rank); no score scale to reconcile.
  constexpr double k = 60;
  struct Ranked {
    int64_t id = 0;
    double fused = 0;
    int word_rank = 1 << 30;
    std::optional<double> bm25, similarity;
  };
  std::map<int64_t, Ranked> ranked;
  for (size_t i = 0; i < by_words.size(); ++i) {
    Ranked& r = ranked[by_words[i].first];
    r.id = by_words[i].first;
    r.fused += 1.0 / (k + static_cast<double>(i + 1));
    r.word_rank = static_cast<int>(i);
    r.bm25 = by_words[i].second;
  }
  for (size_t i = 0; i < by_meaning.size(); ++i) {
    auto [id, similarity] = by_meaning[i];
    bool by_word = ranked.count(id) > 0;
    if (!by_word && similarity * 100 < how.min_similarity * 100 - 1e-9) continue;  // no word, little meaning
    Ranked& r = ranked[id];
    r.id = id;
    r.similarity = similarity;
    r.fused += 1.0 / (k + static_cast<double>(i + 1));
  }
  std::vector<Ranked> order;
  for (const auto& [id, r] : ranked) order.push_back(r);
  std::sort(order.begin(), order.end(), [](const Ranked& a, const Ranked& b) {
    if (a.fused != b.fused) return a.fused > b.fused;
    if (a.word_rank != b.word_rank) return a.word_rank < b.word_rank;
    return a.id < b.id;
  });
  std::vector<KbHit> out;
  for (const auto& r : order) {
    if (out.size() >= static_cast<size_t>(limit)) break;
    auto h = engine.store.kb_hit(r.id);
    if (!h) continue;
    h->score = r.fused;
    h->bm25 = r.bm25;
    h->similarity = r.similarity;
    if (r.bm25) h->snippet = engine.store.kb_snippet(match, r.id);
    if (h->snippet.empty()) h->snippet = truncate_display(trim_whitespace(h->chunk.text), 160);
    out.push_back(std::move(*h));
  }
  return out;
}

namespace {
// A failure that one text can cause (the server refused what it was given), as opposed to one
// of the server, the key or the budget, which the next text would meet too.
bool refusal_of_input(const Error& e) {
  return e.kind() == ErrorKind::permanent || e.kind() == ErrorKind::invalid_input;
}
}  // namespace

KbEmbedded kb_embed(Engine& engine, Embedder& embedder,
                    const std::function<void(const std::string&)>& progress) {
  KbEmbedded r;
  const std::string key = embedder.key();
  auto todo = engine.store.kb_texts_to_embed(key);
  const size_t batch = std::max<size_t>(1, embedder.max_batch());
  int64_t refused = 0;
  std::string first_refusal;
  // One request for `from`..`to`; stored as it comes. A batch the server refuses is sent again
  // a text at a time, so one text it will not take does not keep the others from their vectors.
  auto send = [&](size_t from, size_t to, const auto& self) -> bool {
    std::vector<std::string> texts;
    for (size_t i = from; i < to; ++i) texts.push_back(todo[i].second);
    try {
      ++r.calls;
      EmbedResult e = call_embedder(
          engine, embedder, "kb-embed", texts, EmbedTask::document,
          count_of(static_cast<long long>(texts.size()), "knowledge base text", "knowledge base texts"));
      std::vector<std::pair<std::string, std::string>> blobs;
      for (size_t i = 0; i < e.vectors.size(); ++i)
        blobs.emplace_back(todo[from + i].first, vector_blob(e.vectors[i]));
      engine.store.put_kb_embeddings(key, blobs, engine.clock.now());
      r.embedded += static_cast<int64_t>(blobs.size());
      return true;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::internal) throw;
      if (!refusal_of_input(e)) {
        r.error = e.what();
        return false;
      }
      if (to - from == 1) {
        if (first_refusal.empty()) first_refusal = e.what();
        ++refused;
        return true;
      }
      for (size_t i = from; i < to; ++i)
        if (!self(i, i + 1, self)) return false;
      return true;
    }
  };
  for (size_t from = 0; from < todo.size(); from += batch) {
    if (progress)
      progress("embedding " + std::to_string(from) + " of " + std::to_string(todo.size()) + " texts with " +
               key);
    if (!send(from, std::min(todo.size(), from + batch), send)) break;
  }
  if (refused > 0 && r.error.empty())
    r.error = count_of(refused, "text was", "texts were") + " refused (" + first_refusal + ")";
  auto [have, chunks] = engine.store.kb_embedded_count(key);
  r.have = have;
  r.chunks = chunks;
  return r;
}

std::string kb_citation(const std::string& location, const std::string& heading) {
  std::string name = file_name(location);
  return heading.empty() ? name : name + " § " + heading;
}

}  // namespace crier
