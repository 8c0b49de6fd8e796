#include "kb/chunker.hpp"

#include <algorithm>

namespace crier {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte position `n` code points after `pos`, at most `end`.
size_t advance_codepoints(std::string_view t, size_t pos, size_t n, size_t end) {
  while (pos < end && n > 0) {
    ++pos;
    while (pos < end && continuation(t[pos])) ++pos;
    --n;
  }
  return pos;
}

// The byte position `n` code points before `pos`, at least `begin`.
size_t back_codepoints(std::string_view t, size_t pos, size_t n, size_t begin) {
  while (pos > begin && n > 0) {
    --pos;
    while (pos > begin && continuation(t[pos])) --pos;
    --n;
  }
  return pos;
}

// Where a chunk may end (and the next begin): 3 after a paragraph, 2 after a sentence, 1 after
// a line, 0 after a word. Positions are the start of what follows.
struct Boundary {
  size_t pos;
  int strength;
};

std::vector<Boundary> boundaries(std::string_view t, size_t a, size_t b) {
  std::vector<Boundary> out;
  for (size_t i = a; i < b; ++i) {
    if (!is_blank(t[i])) continue;
    size_t j = i;
    int newlines = 0;
    while (j < b && is_blank(t[j])) newlines += t[j++] == '\n' ? 1 : 0;
    int strength = 0;
    if (newlines >= 2) strength = 3;
    else if (i > a && (t[i - 1] == '.' || t[i - 1] == '!' || t[i - 1] == '?' || t[i - 1] == ':' || t[i - 1] == ';'))
      strength = 2;
    else if (i > 1 + a && (t[i - 1] == '"' || t[i - 1] == ')') && (t[i - 2] == '.' || t[i - 2] == '!' || t[i - 2] == '?'))
      strength = 2;
    else if (newlines == 1) strength = 1;
    if (j < b) out.push_back({j, strength});
    i = j - 1;
  }
  return out;
}

void trim(std::string_view t, size_t& s, size_t& e) {
  while (s < e && is_blank(t[s])) ++s;
  while (e > s && is_blank(t[e - 1])) --e;
}

}  // namespace

std::vector<TextSection> markdown_sections(std::string_view text) {
  std::vector<TextSection> out;
  std::vector<std::pair<int, std::string>> path;  // level, title
  auto heading_of = [&path] {
    std::string h;
    for (const auto& [level, title] : path) h += (h.empty() ? "" : " > ") + title;
    return h;
  };
  TextSection current{"", 0, 0};
  bool fenced = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line = text.substr(pos, (eol == std::string_view::npos ? text.size() : eol) - pos);
    size_t indent = 0;
    while (indent < line.size() && indent < 4 && line[indent] == ' ') ++indent;
    std::string_view body = line.substr(indent);
    if (indent < 4 && (body.rfind("```", 0) == 0 || body.rfind("~~~", 0) == 0)) fenced = !fenced;
    int level = 0;
    if (!fenced && indent < 4)
      while (level < static_cast<int>(body.size()) && body[level] == '#') ++level;
    if (level >= 1 && level <= 6 && (body.size() == static_cast<size_t>(level) || body[level] == ' ' || body[level] == '\t')) {
      std::string title(body.substr(level));
      while (!title.empty() && (title.back() == '#' || is_blank(title.back()))) title.pop_back();
      size_t lead = 0;
      while (lead < title.size() && is_blank(title[lead])) ++lead;
      title.erase(0, lead);
      current.end = pos;
      if (current.end > current.start) out.push_back(current);
      while (!path.empty() && path.back().first >= level) path.pop_back();
      path.emplace_back(level, title);
      current = {heading_of(), next, next};
    }
    pos = next;
  }
  current.end = text.size();
  if (current.end > current.start) out.push_back(current);
  return out;
}

std::vector<TextChunk> chunk_sections(std::string_view t, const std::vector<TextSection>& sections, ChunkSize size) {
  std::vector<TextChunk> out;
  size_t cap = std::max<size_t>(size.size, 50);
  size_t overlap = std::min(size.overlap, cap / 2);
  for (const auto& sec : sections) {
    size_t a = std::min(sec.start, t.size()), b = std::min(std::max(sec.end, a), t.size());
    trim(t, a, b);
    if (a >= b) continue;
    auto bounds = boundaries(t, a, b);
    auto after = [&bounds](size_t pos) {  // the first boundary past pos
      return std::upper_bound(bounds.begin(), bounds.end(), pos,
                              [](size_t p, const Boundary& bd) { return p < bd.pos; });
    };
    size_t s = a;
    while (s < b) {
      size_t limit = advance_codepoints(t, s, cap, b);
      size_t e = limit;
      if (limit < b) {
        // The strongest boundary in the chunk's second half, else the last of any strength.
        size_t half = advance_codepoints(t, s, cap / 2, b);
        size_t best = 0;
        int best_strength = -1;
        // Only the boundaries in (s, limit]: found by binary search (they are in order), so a
        // long section is cut in linear time, not in chunks x boundaries.
        for (auto it = after(s); it != bounds.end() && it->pos <= limit; ++it) {
          const Boundary& bd = *it;
          int strength = bd.pos >= half ? bd.strength : -1;
          if (strength >= best_strength) {
            best = bd.pos;
            best_strength = strength;
          }
        }
        if (best > s) e = best;
      }
      size_t cs = s, ce = e;
      trim(t, cs, ce);
      if (ce > cs) out.push_back({sec.heading, cs, ce, std::string(t.substr(cs, ce - cs))});
      if (e >= b) break;
      // The next one starts about `overlap` before this end: at the first sentence (or word)
      // boundary in that window, so it does not begin mid-word.
      size_t from = back_codepoints(t, e, overlap, s);
      size_t next = e;
      int strength = -1;
      for (auto it = after(from > 0 ? from - 1 : 0); it != bounds.end() && it->pos < e; ++it) {
        const Boundary& bd = *it;
        if (bd.pos < from || bd.pos <= s) continue;
        int st = std::min(bd.strength, 2);
        if (st > strength) {
          next = bd.pos;
          strength = st;
        }
      }
      s = next > s ? next : e;
    }
  }
  return out;
}

}  // namespace crier
