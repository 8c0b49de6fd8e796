// Colour for human output: only on a terminal, never with NO_COLOR or --no-color.
#pragma once

#include <string>
#include <string_view>

namespace crier {

class Style {
 public:
  explicit Style(bool color = false) : m_color(color) {}
  bool enabled() const { return m_color; }
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string green(std::string_view s) const { return wrap("32", s); }
  std::string yellow(std::string_view s) const { return wrap("33", s); }
  std::string red(std::string_view s) const { return wrap("31", s); }
  // Colour by delivery/inbox status word.
  std::string status(std::string_view s) const;

 private:
  std::string wrap(std::string_view code, std::string_view s) const;
  bool m_color;
};

// Decides colour from the setting (auto|always|never), NO_COLOR and whether fd is a terminal.
bool want_color(std::string_view setting, bool no_color_flag, int fd);

}  // namespace crier
