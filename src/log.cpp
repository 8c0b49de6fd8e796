#include "log.hpp"

#include <regex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace crier {

void init_logging(int verbosity, bool color) {
  std::shared_ptr<spdlog::logger> logger;
  if (color)
    logger = spdlog::stderr_color_st("crier");
  else
    logger = std::make_shared<spdlog::logger>("crier",
                                              std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern("crier: %l: %v");
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity < 0) level = spdlog::level::err;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity >= 2) level = spdlog::level::debug;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

std::string redact(std::string_view text) {
  static const std::regex k_bearer(R"((Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]+)",
                                   std::regex::icase);
  static const std::regex k_jwt(R"(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");
  static const std::regex k_json_field(
      R"xx(("(?:[A-Za-z_]*(?:password|token|secret|jwt|key)[A-Za-z_]*)"\s*:\s*)"(?:[^"\\]|\\.)*")xx",
      std::regex::icase);
  static const std::regex k_query(
      R"(([?&](?:access_token|token|client_secret|password|code|key)=)[^&\s]+)", std::regex::icase);
  std::string s(text);
  s = std::regex_replace(s, k_bearer, "$1 [redacted]");
  s = std::regex_replace(s, k_jwt, "[redacted-jwt]");
  s = std::regex_replace(s, k_json_field, "$1\"[redacted]\"");
  s = std::regex_replace(s, k_query, "$1[redacted]");
  return s;
}

}  // namespace crier
