#include "log.hpp"

#include <cstdio>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "output/safe_text.hpp"

namespace crier {
namespace {

// Every log line leaves through here: secrets redacted (by value and by shape), control
// characters from the outside shown rather than obeyed, one line per message, on stderr.
// Thread-safe: publishing workers log from their own threads.
class ScrubbingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ScrubbingSink(bool color) : m_color(color) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text(msg.payload.data(), msg.payload.size());
    std::string level;
    const char* colour = "";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: level = "debug"; colour = "\x1b[2m"; break;
      case spdlog::level::info: level = "info"; break;
      case spdlog::level::warn: level = "warning"; colour = "\x1b[33m"; break;
      default: level = "error"; colour = "\x1b[31m"; break;
    }
    std::string line = "crier: ";
    line += m_color && *colour ? std::string(colour) + level + "\x1b[0m" : level;
    line += ": " + redact_known(terminal_safe(redact(text))) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  bool m_color;
};

}  // namespace

void init_logging(int verbosity, bool color) {
  auto logger = std::make_shared<spdlog::logger>("crier", std::make_shared<ScrubbingSink>(color));
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity < 0) level = spdlog::level::err;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity >= 2) level = spdlog::level::debug;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace crier
