#include "providers/mastodon/mastodon_text.hpp"

#include <regex>
#include <string>

#include "text/text_rules.hpp"

namespace crier::mastodon {

size_t count_text(std::string_view s, size_t url_length) {
  std::string rest;
  size_t urls = 0, pos = 0;
  for (const auto& span : find_urls(s)) {
    rest.append(s.substr(pos, span.start - pos));
    pos = span.end;
    ++urls;
  }
  rest.append(s.substr(pos));
  static const std::regex k_mention(R"((^|[^\w/])@(\w+)@[\w.-]+\w)");
  rest = std::regex_replace(rest, k_mention, "$1@$2");
  return count_graphemes(rest) + urls * url_length;
}

}  // namespace crier::mastodon
