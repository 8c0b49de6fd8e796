// Aligned plain-text tables for human output (never for --json).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace crier {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  bool empty() const { return m_rows.empty(); }
  // Columns padded to their widest cell (display width, so CJK and emoji line up); the last
  // column is not padded. Cells longer than max_cell display columns are cut with "…".
  void print(std::ostream& out, size_t max_cell = 60) const;

 private:
  std::vector<std::string> m_headers;
  std::vector<std::vector<std::string>> m_rows;
};

// Columns a string takes on a terminal.
size_t display_width(std::string_view utf8);
// The text cut to at most `width` columns, ending in "…" when cut; newlines shown as "⏎".
std::string truncate_display(std::string_view utf8, size_t width);

}  // namespace crier
