#include "providers/bluesky/bluesky_card.hpp"

#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

#include "text/html_text.hpp"

namespace crier::bluesky {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Where `needle` (lower case) starts in `hay` at or after `from`, ignoring case; npos if not.
size_t ifind(std::string_view hay, std::string_view needle, size_t from) {
  for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + k])) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// The attributes of one tag's text ("<meta property=\"og:title\" content='x'>"), names in lower
// case. Read by hand rather than with std::regex, whose backtracking is slow and recursive on
// the large, hostile pages a link can point to.
std::vector<std::pair<std::string, std::string>> attributes(std::string_view tag) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = tag.find_first_of(" \t\n\r/");
  while (i != std::string_view::npos && i < tag.size()) {
    while (i < tag.size() && (std::isspace(static_cast<unsigned char>(tag[i])) || tag[i] == '/')) ++i;
    size_t name_start = i;
    while (i < tag.size() && tag[i] != '=' && tag[i] != '>' && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    std::string name = lower(std::string(tag.substr(name_start, i - name_start)));
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    std::string value;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        char q = tag[i++];
        size_t end = tag.find(q, i);
        if (end == std::string_view::npos) end = tag.size();
        value = std::string(tag.substr(i, end - i));
        i = end + 1;
      } else {
        size_t start = i;
        while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])) && tag[i] != '>') ++i;
        value = std::string(tag.substr(start, i - start));
      }
    }
    if (name.empty()) {
      if (i < tag.size()) ++i;
      continue;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string absolute(const std::string& url, const std::string& base) {
  if (url.empty() || url.find("://") != std::string::npos) return url;
  auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return url;
  if (url.rfind("//", 0) == 0) return base.substr(0, scheme_end + 1) + url;
  auto host_end = base.find('/', scheme_end + 3);
  std::string origin = base.substr(0, host_end);
  if (url[0] == '/') return origin + url;
  std::string dir = host_end == std::string::npos ? origin + "/" : base.substr(0, base.rfind('/') + 1);
  return dir + url;
}

}  // namespace

std::optional<PageCard> parse_open_graph(const std::string& html, const std::string& page_url) {
  // Only the head matters, and pages can be large: look at the first 256 kB.
  std::string_view head = std::string_view(html).substr(0, 256 * 1024);
  PageCard card;
  std::string fallback_title, fallback_description;
  for (size_t pos = ifind(head, "<meta", 0); pos != std::string_view::npos; pos = ifind(head, "<meta", pos + 5)) {
    size_t close = head.find('>', pos);
    if (close == std::string_view::npos) break;
    std::string key, content;
    for (auto& [name, value] : attributes(head.substr(pos, close - pos))) {
      if ((name == "property" || (name == "name" && key.empty())) && !value.empty()) key = lower(value);
      if (name == "content") content = html_to_text(value);
    }
    if (key == "og:title" && card.title.empty()) card.title = content;
    if (key == "og:description" && card.description.empty()) card.description = content;
    if ((key == "og:image" || key == "og:image:url") && card.image_url.empty()) card.image_url = content;
    if (key == "description") fallback_description = content;
  }
  size_t title = ifind(head, "<title", 0);
  if (title != std::string_view::npos) {
    size_t open_end = head.find('>', title);
    size_t end = open_end == std::string_view::npos ? open_end : ifind(head, "</title>", open_end);
    if (end != std::string_view::npos) fallback_title = html_to_text(head.substr(open_end + 1, end - open_end - 1));
  }
  if (card.title.empty()) card.title = fallback_title;
  if (card.description.empty()) card.description = fallback_description;
  if (card.title.empty()) return std::nullopt;
  card.image_url = absolute(card.image_url, page_url);
  return card;
}

}  // namespace crier::bluesky
