// The configuration: TOML at $XDG_CONFIG_HOME/crier/config.toml, read with toml++.
// Precedence: flags (set_override) > environment > file > defaults (config_keys.cpp).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crier {

class Config {
 public:
  // Loads `path`. A missing file is fine (defaults apply) unless must_exist (a path the user
  // named); a directory, a broken file, a value of the wrong type or out of range throws
  // Error(config) naming the file, line and column. Unknown keys become warnings().
  static Config load(const std::filesystem::path& path, bool must_exist = false);
  // The config in `text`, as if read from `path` (named in messages); throws as load() does.
  static Config from_text(std::string_view text, const std::filesystem::path& path);
  // A config with only defaults and the environment (for tests).
  static Config defaults();

  const std::filesystem::path& path() const { return m_path; }
  bool file_exists() const { return m_file_exists; }
  const std::vector<std::string>& warnings() const { return m_warnings; }

  // The effective value of a known key, as text. Throws Error(usage) for an unknown key.
  std::string get(std::string_view key) const;
  long long get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  // Where the effective value came from: "flag", "env", "file" or "default".
  std::string source(std::string_view key) const;
  // A value from a per-account table: [accounts."NAME"] key = "...".
  std::optional<std::string> account_value(std::string_view account, std::string_view key) const;
  // A model's price from [llm.prices."MODEL"]: `which` is input or output, US dollars per
  // million tokens; nullopt when the file sets none.
  std::optional<double> model_price(std::string_view model, std::string_view which) const;

  // The file's keys under `prefix` ("triage.rules."), without it, and their values.
  std::map<std::string, std::string> table(std::string_view prefix) const;

  void set_override(std::string_view key, std::string value);

 private:
  std::filesystem::path m_path;
  bool m_file_exists = false;
  std::map<std::string, std::string, std::less<>> m_file;
  std::map<std::string, std::string, std::less<>> m_overrides;
  std::vector<std::string> m_warnings;
};

// Validates `value` for `key` (type, allowed values); throws Error(invalid_input) if wrong.
void validate_config_value(std::string_view key, std::string_view value);

// Sets key = value in the TOML text, keeping comments and layout; adds the section or key
// when missing. Returns the new text, which has been checked to parse.
std::string set_config_value_in_text(std::string_view text, std::string_view key,
                                     std::string_view value);

// The commented default config written by `crier init`.
std::string default_config_text();

}  // namespace crier
