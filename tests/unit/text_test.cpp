#include <catch2/catch.hpp>

#include "providers/mastodon/mastodon_text.hpp"
#include "text/html_text.hpp"
#include "text/text_rules.hpp"

using namespace crier;

namespace {
TextRules bluesky_like() {
  TextRules r;
  r.max_length = 300;
  r.max_bytes = 3000;
  return r;
}
TextRules mastodon_like() {
  TextRules r;
  r.count = [](std::string_view t) { return mastodon::count_text(t, 23); };
  r.max_length = 500;
  r.unit = "characters";
  return r;
}
}  // namespace

TEST_CASE("graphemes count what a reader sees as one character", "[text]") {
  CHECK(count_graphemes("") == 0);
  CHECK(count_graphemes("hello") == 5);
  CHECK(count_graphemes("👋") == 1);
  CHECK(count_graphemes("👨‍👩‍👧‍👦") == 1);        // ZWJ family
  CHECK(count_graphemes("🇩🇪🇫🇷") == 2);          // two flags
  CHECK(count_graphemes("e\xCC\x81") == 1);      // e + combining acute
  CHECK(count_graphemes("👍🏽") == 1);             // skin tone modifier
  CHECK(count_graphemes("日本語のテキスト") == 8);  // CJK
  CHECK(count_graphemes("שלום עולם") == 9);       // Hebrew, RTL
  CHECK(count_graphemes("مرحبا") == 5);           // Arabic
  CHECK(count_graphemes("\r\n") == 1);            // CRLF is one cluster
  CHECK(count_codepoints("👨‍👩‍👧‍👦") == 7);
}

TEST_CASE("invalid UTF-8 is detected and still counted without crashing", "[text]") {
  CHECK(is_valid_utf8("héllo 👋"));
  CHECK_FALSE(is_valid_utf8("\xC3"));
  CHECK_FALSE(is_valid_utf8("ab\xFF"));
  CHECK(count_graphemes("ab\xFF") == 3);
}

TEST_CASE("URLs are found without trailing punctuation", "[text]") {
  std::string s = "see https://example.com/a_(b), and http://x.org. Also (https://y.io/p).";
  auto urls = find_urls(s);
  REQUIRE(urls.size() == 3);
  CHECK(s.substr(urls[0].start, urls[0].end - urls[0].start) == "https://example.com/a_(b)");
  CHECK(s.substr(urls[1].start, urls[1].end - urls[1].start) == "http://x.org");
  CHECK(s.substr(urls[2].start, urls[2].end - urls[2].start) == "https://y.io/p");
}

TEST_CASE("Mastodon counts every URL as 23 and @user@domain as @user", "[text]") {
  auto r = mastodon_like();
  std::string url(100, 'a');
  CHECK(count_length("read https://example.com/" + url, r) == 5 + 23);
  CHECK(count_length("hi @alice@fosstodon.org!", r) == std::string("hi @alice!").size());
  CHECK(count_length("mail me: bob@example.com", r) == std::string("mail me: bob@example.com").size());
  CHECK(count_length("👨‍👩‍👧‍👦 family", r) == 8);
}

TEST_CASE("length checks say by how much a text is over", "[text]") {
  auto r = bluesky_like();
  std::string text(310, 'x');
  auto c = check_length(text, r);
  CHECK_FALSE(c.fits());
  CHECK(c.describe() == "310/300 graphemes (10 over)");
  // 300 graphemes of 4-byte emoji is 1200 bytes: within both limits.
  std::string emoji;
  for (int i = 0; i < 300; ++i) emoji += "😀";
  CHECK(check_length(emoji, r).fits());
  // 300 ZWJ families are 300 graphemes but 7500 bytes: over the byte limit.
  std::string families;
  for (int i = 0; i < 300; ++i) families += "👨‍👩‍👧‍👦";
  auto f = check_length(families, r);
  CHECK(f.length == 300);
  CHECK_FALSE(f.fits());
  CHECK_THAT(f.describe(), Catch::Contains("bytes (4500 over)"));
}

TEST_CASE("thread splitting keeps every word, in order, and each part fits", "[text]") {
  TextRules r;
  r.max_length = 60;
  std::string text =
      "First sentence is here. Second one follows, a little longer than the first. Third! "
      "And a last one with averyveryveryveryveryveryveryveryveryveryveryveryverylongwordthatcannotfit in it.";
  auto parts = split_for_thread(text, r);
  REQUIRE(parts.size() > 2);
  std::string joined;
  for (const auto& p : parts) {
    CHECK(count_graphemes(p) <= 60);
    CHECK(p.front() != ' ');
    CHECK(p.back() != ' ');
    joined += p;
  }
  std::string squeezed;
  for (char c : text)
    if (c != ' ') squeezed += c;
  std::string joined_squeezed;
  for (char c : joined)
    if (c != ' ') joined_squeezed += c;
  CHECK(joined_squeezed == squeezed);
  CHECK(parts[0] == "First sentence is here.");
}

TEST_CASE("thread splitting never cuts inside a grapheme", "[text]") {
  TextRules r;
  r.max_length = 5;
  std::string text;
  for (int i = 0; i < 12; ++i) text += "👨‍👩‍👧‍👦";
  auto parts = split_for_thread(text, r);
  CHECK(parts.size() == 3);
  for (const auto& p : parts) {
    CHECK(is_valid_utf8(p));
    CHECK(count_graphemes(p) <= 5);
  }
}

TEST_CASE("html to text: scripts, styles and the head are not text, blocks break lines", "[text][html]") {
  CHECK(html_to_text("<html><HEAD><title>T</title><style>p{}</style></HEAD><body><h1>Title</h1>"
                     "<SCRIPT>var x = '<p>';</SCRIPT><p>One &amp; two</p><ul><li>a</li><li>b</li></ul></body></html>") ==
        "Title\n\nOne & two\na\nb");
  CHECK(html_to_text("<p>before</p><script>never closed") == "before");
}

TEST_CASE("a scheme with no host is not a link (found by fuzzing: an empty facet)", "[text]") {
  CHECK(find_urls("see http://) and https:// or HTTP://.").empty());
  auto urls = find_urls("Https://Example.com/x and http://a.b");
  REQUIRE(urls.size() == 2);
}
