// Bluesky rich text: facets must cover exactly the bytes they claim, whatever the text.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "providers/bluesky/bluesky_richtext.hpp"
#include "text/text_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!is_valid_utf8(text)) return 0;
  return fuzz::guarded([&] {
    auto rt = bluesky::build_rich_text(text, [](const std::string& handle) -> std::optional<std::string> {
      if (handle.size() % 2 == 0) return "did:plc:" + std::to_string(handle.size());
      return std::nullopt;
    });
    if (!is_valid_utf8(rt.text)) fuzz::fail("the visible text is valid UTF-8");
    for (const auto& f : rt.facets) {
      size_t start = f["index"]["byteStart"], end = f["index"]["byteEnd"];
      if (start >= end || end > rt.text.size()) fuzz::fail("a facet covers bytes of the text");
      if (!is_valid_utf8(rt.text.substr(start, end - start))) fuzz::fail("on character boundaries");
    }
    (void)bluesky::visible_text(text);
  });
}
