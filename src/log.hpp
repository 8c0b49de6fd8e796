// Logging goes to stderr only (stdout is for data). -v shows info, -vv debug (HTTP traffic,
// redacted), -q only errors. Secrets must pass through redact() before they are logged.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace crier {

// verbosity: -1 quiet, 0 default (warnings), 1 info, 2+ debug.
void init_logging(int verbosity, bool color);

// Replaces secrets in free text: bearer tokens, JWTs, "password"/"token"-like JSON fields and
// query parameters. Safe to call on any text that is about to be logged.
std::string redact(std::string_view text);

}  // namespace crier
