#include "output/table.hpp"

#include <algorithm>

#include <utf8proc.h>

namespace crier {

size_t display_width(std::string_view s) {
  size_t w = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  auto left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      n = 1;
      cp = '?';
    }
    int cw = utf8proc_charwidth(cp);
    w += static_cast<size_t>(std::max(cw, 0));
    p += n;
    left -= n;
  }
  return w;
}

std::string truncate_display(std::string_view s, size_t width) {
  std::string flat;
  for (char c : s) {
    if (c == '\n') flat += "⏎";
    else if (c == '\r' || c == '\t') flat += ' ';
    else flat += c;
  }
  if (display_width(flat) <= width) return flat;
  std::string out;
  size_t w = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(flat.data());
  auto left = static_cast<utf8proc_ssize_t>(flat.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) n = 1;
    size_t cw = static_cast<size_t>(std::max(utf8proc_charwidth(cp), 0));
    if (w + cw + 1 > width) break;
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    w += cw;
    p += n;
    left -= n;
  }
  return out + "…";
}

void Table::print(std::ostream& out, size_t max_cell) const {
  size_t cols = m_headers.size();
  std::vector<std::vector<std::string>> cells;
  cells.push_back(m_headers);
  for (const auto& r : m_rows) {
    std::vector<std::string> row;
    for (size_t c = 0; c < cols; ++c) row.push_back(truncate_display(c < r.size() ? r[c] : "", max_cell));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width(cols, 0);
  for (const auto& r : cells)
    for (size_t c = 0; c < cols; ++c) width[c] = std::max(width[c], display_width(r[c]));
  for (const auto& r : cells) {
    std::string line;
    for (size_t c = 0; c < cols; ++c) {
      line += r[c];
      if (c + 1 < cols) line += std::string(width[c] - display_width(r[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

}  // namespace crier
