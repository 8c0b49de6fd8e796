#include "text/text_rules.hpp"

#include <cctype>
#include <cstdio>
#include <regex>

#include <utf8proc.h>

#include "error.hpp"

namespace crier {

std::string checked_text(std::string_view text, const std::string& what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  if (!is_valid_utf8(out))
    throw Error(ErrorKind::invalid_input, what + " is not valid UTF-8", "convert it first, e.g. iconv -t UTF-8");
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(out.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(out.size());
  size_t chars = 0;
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(p, left, &cp);
    ++chars;
    bool control = (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
    if (control) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
      throw Error(ErrorKind::invalid_input,
                  what + " has a control character (" + code + ") at character " + std::to_string(chars),
                  "remove it: only text, tabs and line breaks can be posted");
    }
    p += n;
    left -= n;
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      std::string item = trim_whitespace(v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

std::string trim_whitespace(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\n\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\n\r");
  return std::string(s.substr(b, e - b + 1));
}

size_t count_graphemes(std::string_view s) {
  size_t count = 0;
  utf8proc_int32_t prev = -1;
  utf8proc_int32_t state = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // invalid byte: count it as one and move on
      n = 1;
      cp = 0xFFFD;
    }
    if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) ++count;
    prev = cp;
    p += n;
    left -= n;
  }
  return count;
}

size_t count_codepoints(std::string_view s) {
  size_t count = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++count;
  return count;
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

std::vector<ByteSpan> find_urls(std::string_view s) {
  static const std::regex k_url(R"(https?://[^\s<>"]+)", std::regex::icase);
  std::vector<ByteSpan> out;
  for (std::cregex_iterator it(s.data(), s.data() + s.size(), k_url), end; it != end; ++it) {
    size_t start = static_cast<size_t>(it->position());
    size_t stop = start + static_cast<size_t>(it->length());
    // Trailing punctuation belongs to the sentence; a ')' only when unbalanced.
    while (stop > start) {
      char c = s[stop - 1];
      if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
          c == '"') {
        --stop;
        continue;
      }
      if (c == ')') {
        auto url = s.substr(start, stop - start);
        if (std::count(url.begin(), url.end(), '(') < std::count(url.begin(), url.end(), ')')) {
          --stop;
          continue;
        }
      }
      break;
    }
    // A scheme with no host after it ("http://)") is not a link.
    size_t host = start + (s[start + 4] == 's' || s[start + 4] == 'S' ? 8 : 7);
    if (stop <= host) continue;
    auto first = static_cast<unsigned char>(s[host]);
    if (!(std::isalnum(first) || first >= 0x80)) continue;  // an IDN host starts past ASCII
    out.push_back({start, stop});
  }
  return out;
}

size_t count_length(std::string_view text, const TextRules& rules) {
  return rules.count ? rules.count(text) : count_graphemes(text);
}

std::string LengthCheck::describe() const {
  std::string s = std::to_string(length) + "/" + std::to_string(limit) + " " + unit;
  if (length > limit) s += " (" + std::to_string(length - limit) + " over)";
  if (byte_limit > 0 && bytes > byte_limit)
    s += ", " + std::to_string(bytes) + "/" + std::to_string(byte_limit) + " bytes (" +
         std::to_string(bytes - byte_limit) + " over)";
  return s;
}

LengthCheck check_length(std::string_view text, const TextRules& rules) {
  if (rules.displayed) {
    std::string shown = rules.displayed(std::string(text));
    return LengthCheck{count_length(shown, rules), rules.max_length, shown.size(), rules.max_bytes, rules.unit};
  }
  return LengthCheck{count_length(text, rules), rules.max_length, text.size(), rules.max_bytes,
                     rules.unit};
}

}  // namespace crier
