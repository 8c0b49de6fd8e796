#include "providers/bluesky/bluesky_richtext.hpp"

#include <regex>

#include "hash.hpp"
#include "text/text_rules.hpp"

namespace crier::bluesky {
namespace {

using nlohmann::json;

struct Span {
  size_t start, end;  // byte offsets in the original text
  std::string kind;   // link | mention | tag
  std::string value;  // url, handle, tag (without #)
};

std::vector<Span> find_spans(const std::string& text) {
  std::vector<Span> spans;
  for (const auto& u : find_urls(text)) spans.push_back({u.start, u.end, "link", text.substr(u.start, u.end - u.start)});
  auto overlaps = [&](size_t s, size_t e) {
    for (const auto& sp : spans)
      if (s < sp.end && e > sp.start) return true;
    return false;
  };
  // @handle.domain (at least one dot), at the start or after a non-word character.
  static const std::regex k_mention(R"((^|[\s(\["'])(@([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?))");
  for (std::sregex_iterator it(text.begin(), text.end(), k_mention), end; it != end; ++it) {
    size_t s = static_cast<size_t>(it->position(2));
    size_t e = s + static_cast<size_t>(it->length(2));
    if (!overlaps(s, e)) spans.push_back({s, e, "mention", text.substr(s + 1, e - s - 1)});
  }
  // #tag: not all digits, no trailing punctuation; not part of a URL.
  static const std::regex k_tag(R"((^|\s)(#[^\s#.,;:!?"'()\[\]{}]+))");
  for (std::sregex_iterator it(text.begin(), text.end(), k_tag), end; it != end; ++it) {
    size_t s = static_cast<size_t>(it->position(2));
    size_t e = s + static_cast<size_t>(it->length(2));
    std::string tag = text.substr(s + 1, e - s - 1);
    bool digits = std::all_of(tag.begin(), tag.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits && tag.size() <= 640 && !overlaps(s, e)) spans.push_back({s, e, "tag", tag});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  return spans;
}

}  // namespace

std::string shorten_url(const std::string& url) {
  std::string s = url;
  for (const char* scheme : {"https://", "http://"})
    if (s.rfind(scheme, 0) == 0) {
      s = s.substr(std::string(scheme).size());  // one scheme: "https://http://x" shows "http://x"
      break;
    }
  if (s.empty()) return url;
  if (count_graphemes(s) <= 30) return s;
  // Cut at a grapheme boundary to 27 graphemes.
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size() && n < 27;) {
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) len = 4;
    else if (c >= 0xE0) len = 3;
    else if (c >= 0xC0) len = 2;
    out += s.substr(i, len);
    i += len;
    ++n;
  }
  return out + "...";
}

RichText build_rich_text(const std::string& text,
                         const std::function<std::optional<std::string>(const std::string&)>& resolve) {
  RichText rt;
  rt.facets = json::array();
  size_t pos = 0;
  for (const auto& sp : find_spans(text)) {
    rt.text += text.substr(pos, sp.start - pos);
    size_t start = rt.text.size();
    json feature;
    if (sp.kind == "link") {
      rt.text += shorten_url(sp.value);
      feature = {{"$type", "app.bsky.richtext.facet#link"}, {"uri", sp.value}};
    } else if (sp.kind == "mention") {
      rt.text += text.substr(sp.start, sp.end - sp.start);
      auto did = resolve(sp.value);
      if (did) feature = {{"$type", "app.bsky.richtext.facet#mention"}, {"did", *did}};
    } else {
      rt.text += text.substr(sp.start, sp.end - sp.start);
      feature = {{"$type", "app.bsky.richtext.facet#tag"}, {"tag", sp.value}};
    }
    if (!feature.is_null())
      rt.facets.push_back({{"index", {{"byteStart", start}, {"byteEnd", rt.text.size()}}}, {"features", json::array({feature})}});
    pos = sp.end;
  }
  rt.text += text.substr(pos);
  return rt;
}

std::string visible_text(const std::string& text) {
  return build_rich_text(text, [](const std::string&) { return std::nullopt; }).text;
}

std::string tid_for(const std::string& key, Timestamp created_at, unsigned part) {
  // 64 bits: 0 | 53 bits of microseconds since the epoch | 10 bits of clock id.
  uint64_t h = fnv1a(key);
  uint64_t micros = static_cast<uint64_t>(to_unix(created_at)) * 1000000ull + (h % 900000ull) + part;
  uint64_t value = ((micros & ((1ull << 53) - 1)) << 10) | ((h >> 20) & 0x3FF);
  static const char* k_alphabet = "234567abcdefghijklmnopqrstuvwxyz";
  std::string out(13, '2');
  for (int i = 12; i >= 0; --i) {
    out[static_cast<size_t>(i)] = k_alphabet[value & 31];
    value >>= 5;
  }
  return out;
}

}  // namespace crier::bluesky
