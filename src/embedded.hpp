// Text files compiled into the binary (see cmake/Embed.cmake): migrations, the default config,
// shell completions. Returns an empty view for a name that was not embedded.
#pragma once

#include <string_view>

namespace crier {
std::string_view embedded_file(std::string_view name);
}
