// Aligned plain-text tables for human output (never for --json).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace crier {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  bool empty() const { return m_rows.empty(); }
  // The column that gives way first when the table is wider than the terminal (a text or
  // detail column); by default the last.
  void shrink_first(size_t column) { m_flex = column; }
  // A column never cut (what a user types next, such as a post's reference).
  void keep(size_t column) { m_keep.push_back(column); }
  // Columns padded to their widest cell, measured as the terminal shows it (CJK and emoji are
  // two columns, colour sequences none); the last column is not padded; newlines in a cell are
  // shown as "⏎". width > 0 (a terminal that wide): cells are cut with "…" so each row fits -
  // the shrink_first column down to 12, then the widest others (not kept) down to 6. width 0
  // (a pipe, a file): nothing is cut.
  void print(std::ostream& out, size_t width = 0) const;

 private:
  std::vector<std::string> m_headers;
  std::vector<std::vector<std::string>> m_rows;
  size_t m_flex = static_cast<size_t>(-1);
  std::vector<size_t> m_keep;
};

// Columns a string takes on a terminal (SGR colour sequences take none).
size_t display_width(std::string_view utf8);
// The text cut to at most `width` columns, ending in "…" when cut; newlines shown as "⏎".
// Colour sequences are kept (and closed when the cut falls inside one).
std::string truncate_display(std::string_view utf8, size_t width);

// "1 delivery", "3 deliveries": a count with its noun.
std::string count_of(long long n, std::string_view one, std::string_view many);

}  // namespace crier
