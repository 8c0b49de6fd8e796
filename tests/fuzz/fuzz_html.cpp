// HTML to text (Mastodon statuses, pages for draft --url) and Open Graph cards (link previews).
#include "fuzz_common.hpp"
#include "providers/bluesky/bluesky_card.hpp"
#include "text/html_text.hpp"
#include "text/text_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  std::string html(reinterpret_cast<const char*>(data), size);
  return fuzz::guarded([&] {
    std::string text = html_to_text(html);
    if (is_valid_utf8(html) && !is_valid_utf8(text)) fuzz::fail("decoding entities makes no broken UTF-8");
    if (auto card = bluesky::parse_open_graph(html, "https://example.com/a/b?c=d")) {
      (void)card->title.size();
    }
  });
}
