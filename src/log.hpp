// Logging goes to stderr only (stdout is for data). -v shows info, -vv debug (HTTP traffic,
// redacted), -q only errors. Secrets must pass through redact() before they are logged.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "redact.hpp"

namespace crier {

// verbosity: -1 quiet, 0 default (warnings), 1 info, 2+ debug.
void init_logging(int verbosity, bool color);


}  // namespace crier
