#include "output/style.hpp"

#include <cstdlib>

#include <unistd.h>

namespace crier {

std::string Style::wrap(std::string_view code, std::string_view s) const {
  if (!m_color) return std::string(s);
  return "\x1b[" + std::string(code) + "m" + std::string(s) + "\x1b[0m";
}

std::string Style::status(std::string_view s) const {
  if (s == "published" || s == "ok" || s == "replied" || s == "active" || s == "done") return green(s);
  if (s == "failed" || s == "dead" || s == "error" || s == "auth_failed") return red(s);
  if (s == "queued" || s == "publishing" || s == "new" || s == "warning" || s == "escalated") return yellow(s);
  return std::string(s);
}

bool want_color(std::string_view setting, bool no_color_flag, int fd) {
  if (no_color_flag) return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc != nullptr && *nc != '\0') return false;
  if (setting == "never") return false;
  if (setting == "always") return true;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

}  // namespace crier
