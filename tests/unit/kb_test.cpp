// The knowledge base: chunks (sizes, overlap, boundaries, sections, offsets, UTF-8), the
// documents crier reads (Markdown, HTML, PDF), the search query and the index.
#include <catch2/catch.hpp>

#include "clock.hpp"
#include "config/config.hpp"
#include "error.hpp"
#include "fakes/pdf.hpp"
#include "fakes/temp_home.hpp"
#include "kb/chunker.hpp"
#include "kb/knowledge_base.hpp"
#include "store/store.hpp"
#include "text/text_rules.hpp"

using namespace crier;
using namespace crier::testing;

namespace {
std::string sentences(int n, const std::string& word = "word") {
  std::string out;
  for (int i = 0; i < n; ++i) out += "This is sentence " + std::to_string(i) + " about the " + word + ". ";
  return out;
}
}  // namespace

TEST_CASE("chunks are about 1,000 characters, overlap about 200, and start at a sentence", "[kb]") {
  std::string text;
  for (int p = 0; p < 12; ++p) text += sentences(8, "topic" + std::to_string(p)) + "\n\n";
  auto chunks = chunk_sections(text, {{"", 0, text.size()}});
  REQUIRE(chunks.size() >= 4);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    INFO("chunk " << i << ": " << c.text);
    CHECK(c.text == text.substr(c.start, c.end - c.start));  // the offsets say where it is
    CHECK(count_codepoints(c.text) <= 1000);
    if (i + 1 < chunks.size()) CHECK(count_codepoints(c.text) >= 500);
    CHECK(c.text.rfind("This is sentence", 0) == 0);  // never begins mid-sentence
    CHECK(c.text.back() == '.');                       // nor ends mid-sentence
    if (i > 0) {
      CHECK(c.start < chunks[i - 1].end);  // overlaps the last...
      CHECK(chunks[i - 1].end - c.start <= 220);  // ...by about 200
      CHECK(c.start > chunks[i - 1].start);
    }
  }
  CHECK(chunks.back().end == text.find_last_not_of(" \n") + 1);  // all of it
}

TEST_CASE("chunks never cross a heading, and keep the heading path", "[kb]") {
  std::string md = "# Guide\n\nIntro text.\n\n## Refunds\n\nThirty days.\n\n```\n# not a heading\n```\n\n"
                   "### Cards\n\nFive days.\n\n## Shipping ##\n\nTuesdays.\n";
  auto sections = markdown_sections(md);
  REQUIRE(sections.size() == 4);
  CHECK(sections[0].heading == "Guide");
  CHECK(sections[1].heading == "Guide > Refunds");
  CHECK(sections[2].heading == "Guide > Refunds > Cards");
  CHECK(sections[3].heading == "Guide > Shipping");
  auto chunks = chunk_sections(md, sections);
  REQUIRE(chunks.size() == 4);
  CHECK(chunks[1].text.find("# not a heading") != std::string::npos);  // code stays with its section
  CHECK(chunks[3].text == "Tuesdays.");
}

TEST_CASE("a long word or line without boundaries is cut, never inside a character", "[kb]") {
  std::string text;
  for (int i = 0; i < 1500; ++i) text += "é";  // 2 bytes each, no blank anywhere
  auto chunks = chunk_sections(text, {{"", 0, text.size()}}, {1000, 200});
  REQUIRE(chunks.size() == 2);
  for (const auto& c : chunks) {
    CHECK(is_valid_utf8(c.text));
    CHECK(count_codepoints(c.text) <= 1000);
  }
  CHECK(chunks[1].end == text.size());
}

TEST_CASE("the search query is words, quoted: nothing of FTS5's syntax gets through", "[kb]") {
  CHECK(fts_any_words("refund policy") == "\"refund\" OR \"policy\"");
  CHECK(fts_any_words("a\" OR b NEAR(c d) * ^x -y :z") ==
        "\"a\" OR \"OR\" OR \"b\" OR \"NEAR\" OR \"c\" OR \"d\" OR \"x\" OR \"y\" OR \"z\"");
  CHECK(fts_any_words("\"()*") == "");
  CHECK(fts_any_words("café über") == "\"café\" OR \"über\"");
}

TEST_CASE("documents: HTML keeps its headings and drops its scripts and a PDF has a section per page", "[kb]") {
  ::setenv("CRIER_PDF_TEXT", CRIER_PDF_TEXT_BINARY, 1);  // the helper that reads PDFs
  auto html = read_document("<html><head><title>Our &amp; prices</title><script>var refund=1;</script></head>"
                            "<body><h1>Prices</h1><p>A print is 40 euros.</p><h2 id=d>Discounts</h2><p>Ten off.</p>",
                            "", "prices.html");
  CHECK(html.kind == "html");
  CHECK(html.title == "Our & prices");
  CHECK(html.text.find("refund") == std::string::npos);
  REQUIRE(html.sections.size() == 2);
  CHECK(html.sections[1].heading == "Prices > Discounts");

  auto pdf = read_document(test_pdf({"Page one is about returns.", "Page two: the refund takes 30 days."}, "Manual"),
                           "", "manual.pdf");
  CHECK(pdf.kind == "pdf");
  CHECK(pdf.title == "Manual");
  REQUIRE(pdf.sections.size() == 2);
  CHECK(pdf.sections[1].heading == "page 2");
  CHECK(pdf.text.substr(pdf.sections[1].start, pdf.sections[1].end - pdf.sections[1].start).find("30 days") !=
        std::string::npos);

  CHECK_THROWS_AS(read_document("%PDF-1.4\ngarbage", "", "broken.pdf"), Error);
  CHECK_THROWS_AS(read_document(std::string("\x7f" "ELF\0\0\x01", 7), "", "a.out"), Error);
  CHECK_THROWS_AS(read_document("\xff\xfe not utf-8", "text", "x.txt"), Error);
  CHECK(kind_of_name("notes/FAQ.MD") == "markdown");
  CHECK(kind_of_name("https://example.com/page.html?x=1") == "html");
  CHECK(kind_of_name("photo.jpg") == "");
}

TEST_CASE("the index: sources replaced whole, searched by BM25 with stems, removed with their chunks", "[kb][store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  KbSource src;
  src.location = "/notes/faq.md";
  src.kind = "markdown";
  src.content_hash = "h1";
  std::vector<KbChunk> chunks{{0, 0, 0, "FAQ > Refunds", 0, 40, "Refunds take thirty days to arrive.", "a"},
                              {0, 0, 1, "FAQ > Shipping", 41, 80, "We ship on Tuesdays.", "b"}};
  s->put_kb_source(src, chunks);
  REQUIRE(src.id > 0);
  auto hits = s->search_kb(fts_any_words("refund"), 5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].chunk.heading == "FAQ > Refunds");
  CHECK(hits[0].location == "/notes/faq.md");
  CHECK(hits[0].snippet.find("\x02Refunds\x03") != std::string::npos);
  // The same location again: the old chunks are gone from the table and from the index.
  std::vector<KbChunk> again{{0, 0, 0, "FAQ", 0, 20, "Shipping is free.", "c"}};
  src.content_hash = "h2";
  int64_t id = src.id;
  s->put_kb_source(src, again);
  CHECK(src.id == id);
  CHECK(s->search_kb(fts_any_words("refunds"), 5).empty());
  CHECK(s->search_kb(fts_any_words("tuesdays"), 5).empty());
  CHECK(s->search_kb(fts_any_words("free"), 5).size() == 1);
  CHECK(s->list_kb_sources().at(0).chunks == 1);
  CHECK(s->remove_kb_source(id));
  CHECK(s->search_kb(fts_any_words("free"), 5).empty());
  CHECK(s->list_kb_sources().empty());
}

TEST_CASE("an inbox from before search is indexed by the migration, and kept in step after", "[kb][store]") {
  TempDir dir;
  auto path = dir.path() / "crier.db";
  InboxItem item;
  {
    auto old = open_sqlite_store(path, 9);  // the schema before inbox search
    Account a;
    a.network = "sandbox";
    a.handle = "me";
    a.created_at = from_unix(1'700'000'000);
    item.account_id = old->add_account(a, "{}");
    item.kind = "reply";
    item.remote_id = "r1";
    item.author = "ada";
    item.text = "What is the refund window?";
    item.created_at = from_unix(1'700'000'000);
    item.fetched_at = item.created_at;
    REQUIRE(old->add_inbox_item(item));
  }
  auto s = open_sqlite_store(path);
  InboxFilter f;
  auto hits = s->search_inbox(fts_all_words("refunds window"), f);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].item.remote_id == "r1");
  s->set_inbox_status(hits[0].item.id, "replied", "x1", "Thirty days, no questions asked.");
  CHECK(s->search_inbox(fts_all_words("questions"), f).size() == 1);
  CHECK(s->search_inbox(fts_all_words("refund"), f).size() == 1);  // the item's own text still indexed
}

TEST_CASE("a long section is cut in one pass, whole and in order", "[kb]") {
  std::string text;
  while (text.size() < 1'000'000) text += sentences(50) + "\n";  // 1 MB, no headings
  auto chunks = chunk_sections(text, {{"", 0, text.size()}});
  REQUIRE(chunks.size() > 900);
  for (size_t i = 1; i < chunks.size(); ++i) {
    CHECK(chunks[i].start > chunks[i - 1].start);
    CHECK(chunks[i].start <= chunks[i - 1].end);  // nothing between two chunks is lost
  }
  CHECK(chunks.back().end == text.find_last_not_of(" \n") + 1);
}

TEST_CASE("an HTML entity that is not a character does not make the text invalid", "[kb]") {
  auto d = read_document("<p>a&#xD800;b&#0;c&#x110000;d&#233;</p>", "html", "x.html");
  CHECK(is_valid_utf8(d.text));
  CHECK(d.text.find('\0') == std::string::npos);
  CHECK_THAT(d.text, Catch::Contains("d\xc3\xa9"));
}

TEST_CASE("a model's price is a finite number of dollars, 0 or more", "[kb][config]") {
  for (const char* bad : {"input = nan", "input = inf", "input = -1", "input = \"cheap\"", "cost = 1"})
    CHECK_THROWS_AS(Config::from_text(std::string("[llm.prices.\"m\"]\n") + bad + "\n", "c.toml"), Error);
  auto c = Config::from_text("[llm.prices.\"llama3.1:8b\"]\ninput = 0.5\noutput = 2\n", "c.toml");
  CHECK(c.model_price("llama3.1:8b", "input") == std::optional<double>(0.5));
  CHECK(c.model_price("llama3.1:8b", "output") == std::optional<double>(2.0));
}
