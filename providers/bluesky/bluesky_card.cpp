#include "providers/bluesky/bluesky_card.hpp"

#include <regex>

#include "text/html_text.hpp"

namespace crier::bluesky {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The value of attribute `name` in one tag's text.
std::string attribute(const std::string& tag, const std::string& name) {
  std::regex re("\\b" + name + R"re(\s*=\s*("([^"]*)"|'([^']*)'))re", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(tag, m, re)) return {};
  return m[2].matched ? m[2].str() : m[3].str();
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
  std::string head = html.substr(0, 256 * 1024);
  PageCard card;
  std::string fallback_title, fallback_description;
  static const std::regex k_meta(R"(<meta\s[^>]*>)", std::regex::icase);
  for (std::sregex_iterator it(head.begin(), head.end(), k_meta), end; it != end; ++it) {
    std::string tag = it->str();
    std::string key = lower(attribute(tag, "property"));
    if (key.empty()) key = lower(attribute(tag, "name"));
    std::string content = html_to_text(attribute(tag, "content"));
    if (key == "og:title" && card.title.empty()) card.title = content;
    if (key == "og:description" && card.description.empty()) card.description = content;
    if ((key == "og:image" || key == "og:image:url") && card.image_url.empty()) card.image_url = content;
    if (key == "description") fallback_description = content;
  }
  static const std::regex k_title(R"(<title[^>]*>([^<]*)</title>)", std::regex::icase);
  std::smatch m;
  if (std::regex_search(head, m, k_title)) fallback_title = html_to_text(m[1].str());
  if (card.title.empty()) card.title = fallback_title;
  if (card.description.empty()) card.description = fallback_description;
  if (card.title.empty()) return std::nullopt;
  card.image_url = absolute(card.image_url, page_url);
  return card;
}

}  // namespace crier::bluesky
