#include "text/html_text.hpp"
#include "text/text_rules.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace crier {
namespace {

// Decodes the entity starting at s[i] == '&'; returns the number of bytes consumed (0: none).
size_t decode_entity(std::string_view s, size_t i, std::string& out) {
  size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  std::string_view name = s.substr(i + 1, semi - i - 1);
  if (name == "amp") out += '&';
  else if (name == "lt") out += '<';
  else if (name == "gt") out += '>';
  else if (name == "quot") out += '"';
  else if (name == "apos" || name == "#39") out += '\'';
  else if (name == "nbsp") out += ' ';
  else if (!name.empty() && name[0] == '#') {
    try {
      uint32_t cp = (name.size() > 1 && (name[1] == 'x' || name[1] == 'X'))
                        ? static_cast<uint32_t>(std::stoul(std::string(name.substr(2)), nullptr, 16))
                        : static_cast<uint32_t>(std::stoul(std::string(name.substr(1))));
      // NUL, a lone surrogate or past Unicode's end is not a character: the replacement one.
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
      append_utf8(out, cp);
    } catch (const std::exception&) {
      return 0;
    }
  } else {
    return 0;
  }
  return semi - i + 1;
}

std::string tag_name(std::string_view tag) {
  size_t start = tag[0] == '/' ? 1 : 0;
  size_t end = start;
  while (end < tag.size() && tag[end] != ' ' && tag[end] != '/' && tag[end] != '>') ++end;
  std::string name(tag.substr(start, end - start));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return (tag[0] == '/' ? "/" : "") + name;
}

}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  bool seen_paragraph = false;
  for (size_t i = 0; i < html.size();) {
    char c = html[i];
    if (c == '<') {
      size_t close = html.find('>', i);
      if (close == std::string_view::npos) {
        out += html.substr(i);
        break;
      }
      std::string name = tag_name(html.substr(i + 1, close - i - 1));
      // What is never shown: scripts, styles, the head's title and metadata.
      if (name == "script" || name == "style" || name == "head" || name == "noscript" || name == "template") {
        std::string closing = "</" + name;
        auto it = std::search(html.begin() + static_cast<long>(close), html.end(), closing.begin(), closing.end(),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
        size_t end = it == html.end() ? std::string_view::npos : static_cast<size_t>(it - html.begin());
        if (end == std::string_view::npos) {
          // not closed: nothing after it is text either
          break;
        }
        i = html.find('>', end);
        i = i == std::string_view::npos ? html.size() : i + 1;
        continue;
      }
      if (name == "br") out += '\n';
      // Block elements break lines, so headings and list items do not run into each other.
      if (out.size() && out.back() != '\n' &&
          (name == "h1" || name == "h2" || name == "h3" || name == "h4" || name == "li" || name == "/h1" ||
           name == "/h2" || name == "/h3" || name == "/h4" || name == "div" || name == "/div" || name == "tr")) {
        out += '\n';
        seen_paragraph = true;
      }
      if (name == "p") {
        if (seen_paragraph)  // a blank line between paragraphs, never more
          while (out.size() < 2 || out.compare(out.size() - 2, 2, "\n\n") != 0) out += '\n';
        seen_paragraph = true;
      }
      i = close + 1;
      continue;
    }
    if (c == '&') {
      size_t n = decode_entity(html, i, out);
      if (n > 0) {
        i += n;
        continue;
      }
    }
    if (c == '\n' || c == '\r') {  // source newlines are not text in HTML
      ++i;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace crier
