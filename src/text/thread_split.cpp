#include <utf8proc.h>

#include "text/text_rules.hpp"

namespace crier {
namespace {

bool fits(std::string_view s, const TextRules& r) { return check_length(s, r).fits(); }

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\n\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\n\r");
  return s.substr(b, e - b + 1);
}

// Pieces ending at a sentence end (". ", "! ", "? ", "\n"), each keeping its delimiter.
std::vector<std::string_view> sentences(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool end = s[i] == '\n' ||
               ((s[i] == '.' || s[i] == '!' || s[i] == '?') && i + 1 < s.size() && s[i + 1] == ' ');
    if (end) {
      out.push_back(s.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == ' ') {
      out.push_back(s.substr(start, i + 1 - start));
      start = i + 1;
    }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

// Grapheme clusters as byte ranges, for cutting inside an over-long word.
std::vector<std::string_view> graphemes(std::string_view s) {
  std::vector<std::string_view> out;
  utf8proc_int32_t prev = -1, state = 0;
  size_t start = 0, pos = 0;
  while (pos < s.size()) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos),
                              static_cast<utf8proc_ssize_t>(s.size() - pos), &cp);
    if (n <= 0) n = 1;
    if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
      out.push_back(s.substr(start, pos - start));
      start = pos;
    }
    prev = cp;
    pos += static_cast<size_t>(n);
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

// Greedily packs pieces into parts; a piece that cannot fit alone is handed to `finer`.
template <typename Finer>
void pack(const std::vector<std::string_view>& pieces, const TextRules& r,
          std::vector<std::string>& parts, std::string& current, Finer finer) {
  for (auto piece : pieces) {
    std::string candidate = current + std::string(piece);
    if (fits(trim(candidate), r)) {
      current = std::move(candidate);
      continue;
    }
    if (!trim(current).empty()) parts.emplace_back(trim(current));
    current.clear();
    if (fits(trim(piece), r))
      current = std::string(piece);
    else
      finer(piece, current);
  }
}

}  // namespace

std::vector<std::string> split_for_thread(std::string_view text, const TextRules& r) {
  std::vector<std::string> parts;
  std::string current;
  auto by_graphemes = [&](std::string_view word, std::string& cur) {
    pack(graphemes(word), r, parts, cur, [](std::string_view, std::string&) {});
  };
  auto by_words = [&](std::string_view sentence, std::string& cur) {
    pack(words(sentence), r, parts, cur, by_graphemes);
  };
  pack(sentences(text), r, parts, current, by_words);
  if (!trim(current).empty()) parts.emplace_back(trim(current));
  return parts;
}

}  // namespace crier
