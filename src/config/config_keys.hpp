// Every configuration key crier knows, declared once. Reading, `crier config get|set`, the
// environment overrides, unknown-key warnings and crier-config(5) all follow this table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace crier {

enum class KeyType { string, integer, boolean };

struct ConfigKey {
  std::string_view name;           // "section.key"
  KeyType type;
  std::string_view default_value;  // as text; "" for unset strings
  std::string_view env;            // environment variable that overrides it, or ""
  std::string_view doc;            // one line for crier-config(5) and `config get --all`
  long long min = 0;               // integers: the smallest value that makes sense
  long long max = 1'000'000'000;   // and the largest
};

std::span<const ConfigKey> config_keys();
const ConfigKey* find_config_key(std::string_view name);

}  // namespace crier
