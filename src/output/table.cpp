#include "output/table.hpp"

#include <algorithm>
#include <numeric>

#include <utf8proc.h>

namespace crier {
namespace {

// Length of an SGR sequence ("\x1b[...m") at s[i], or 0.
size_t sgr_at(std::string_view s, size_t i) {
  if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == ';')) ++j;
  return j < s.size() && s[j] == 'm' ? j - i + 1 : 0;
}

std::string flatten(std::string_view s) {
  std::string flat;
  for (char c : s) {
    if (c == '\n') flat += "⏎";
    else if (c == '\r' || c == '\t') flat += ' ';
    else flat += c;
  }
  return flat;
}

}  // namespace

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = sgr_at(s, i)) {
      i += n;
      continue;
    }
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                              static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
      n = 1;
      cp = '?';
    }
    w += static_cast<size_t>(std::max(utf8proc_charwidth(cp), 0));
    i += static_cast<size_t>(n);
  }
  return w;
}

std::string truncate_display(std::string_view s, size_t width) {
  std::string flat = flatten(s);
  if (display_width(flat) <= width) return flat;
  std::string out;
  size_t w = 0;
  bool coloured = false;
  for (size_t i = 0; i < flat.size();) {
    if (size_t n = sgr_at(flat, i)) {
      out.append(flat, i, n);
      coloured = flat.compare(i, n, "\x1b[0m") != 0;
      i += n;
      continue;
    }
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(flat.data() + i),
                              static_cast<utf8proc_ssize_t>(flat.size() - i), &cp);
    if (n <= 0) n = 1;
    size_t cw = static_cast<size_t>(std::max(utf8proc_charwidth(cp), 0));
    if (w + cw + 1 > width) break;
    out.append(flat, i, static_cast<size_t>(n));
    w += cw;
    i += static_cast<size_t>(n);
  }
  out += "…";
  if (coloured) out += "\x1b[0m";
  return out;
}

void Table::print(std::ostream& out, size_t width) const {
  size_t cols = m_headers.size();
  std::vector<std::vector<std::string>> cells;
  cells.push_back(m_headers);
  for (const auto& r : m_rows) {
    std::vector<std::string> row;
    for (size_t c = 0; c < cols; ++c) row.push_back(flatten(c < r.size() ? r[c] : ""));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> w(cols, 0);
  for (const auto& r : cells)
    for (size_t c = 0; c < cols; ++c) w[c] = std::max(w[c], display_width(r[c]));
  if (width > 0 && cols > 0) {
    size_t flex = m_flex < cols ? m_flex : cols - 1;
    auto total = [&] { return std::accumulate(w.begin(), w.end(), size_t{0}) + 2 * (cols - 1); };
    while (total() > width) {
      size_t over = total() - width;
      if (w[flex] > 12) {
        w[flex] -= std::min(over, w[flex] - 12);
        continue;
      }
      size_t widest = cols;
      for (size_t c = 0; c < cols; ++c)
        if (std::find(m_keep.begin(), m_keep.end(), c) == m_keep.end() && (widest == cols || w[c] > w[widest]))
          widest = c;
      if (widest == cols || w[widest] <= 6) break;  // as narrow as it goes: let the terminal wrap
      w[widest] -= std::min(over, w[widest] - 6);
    }
    for (auto& r : cells)
      for (size_t c = 0; c < cols; ++c)
        if (display_width(r[c]) > w[c]) r[c] = truncate_display(r[c], w[c]);
  }
  for (const auto& r : cells) {
    std::string line;
    for (size_t c = 0; c < cols; ++c) {
      line += r[c];
      if (c + 1 < cols) line += std::string(w[c] - std::min(w[c], display_width(r[c])) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

std::string count_of(long long n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace crier
