// Counting as each network counts, thread splitting, and the checks on text to send.
#include "engine/assistant.hpp"
#include "fuzz_common.hpp"
#include "providers/bluesky/bluesky_richtext.hpp"
#include "providers/mastodon/mastodon_text.hpp"
#include "text/text_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  fuzz::Input in(data, size);
  uint8_t which = in.byte();
  std::string text(in.rest());
  TextRules r;
  if (which % 3 == 0) {  // Bluesky
    r.max_length = 300;
    r.max_bytes = 3000;
    r.displayed = [](const std::string& t) { return bluesky::visible_text(t); };
  } else if (which % 3 == 1) {  // Mastodon
    r.count = [](std::string_view t) { return mastodon::count_text(t, 23); };
    r.max_length = 50 + which;
  } else {
    r.count = [](std::string_view t) { return count_codepoints(t); };
    r.max_length = 20 + which % 64;
  }
  return fuzz::guarded([&] {
    (void)count_length(text, r);
    (void)find_urls(text);
    (void)checked_text(text, "the text");
    // What a model says in a suggested reply, and what triage rules match in an item.
    auto half = text.size() / 2;
    (void)check_grounding(text.substr(0, half), nlohmann::json::array({1, 7}), which % 4, text.substr(half));
    static const std::vector<TriageRule> rules = {
        {"r", {"refund*", "money back", "a"}, "support", "", "high"}};
    (void)matching_rules(rules, text);
    if (!is_valid_utf8(text)) return;
    auto parts = split_for_thread(text, r);
    for (const auto& p : parts) {
      if (!check_length(p, r).fits()) fuzz::fail("every part fits");
      if (!is_valid_utf8(p)) fuzz::fail("never cut inside a character");
    }
  });
}
