#include "config/config.hpp"

#include <date/tz.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "config/config_keys.hpp"
#include "embedded.hpp"
#include "error.hpp"
#include "paths.hpp"

namespace crier {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> leaf_to_string(const toml::node& node) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<int64_t>()) return std::to_string(*i);
  if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
  return std::nullopt;
}

std::string where(const fs::path& path, const toml::source_region& src) {
  return path.string() + ":" + std::to_string(src.begin.line) + ":" +
         std::to_string(src.begin.column);
}

// One value of a triage rule, checked; a rule's words are kept joined by \x1f.
std::string triage_rule_value(const std::string& key, const std::string& leaf, const toml::node& node,
                              const fs::path& path) {
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::config, "'" + key + "' at " + where(path, node.source()) + ": " + what,
                 "e.g. [triage.rules.refunds] words = [\"refund\", \"money back\"] and intent = \"support\"");
  };
  static const std::map<std::string, std::vector<std::string>> k_labels = {
      {"intent", {"question", "support", "complaint", "praise", "lead", "spam", "abuse", "other"}},
      {"sentiment", {"positive", "neutral", "negative"}},
      {"urgency", {"low", "normal", "high"}}};
  if (leaf == "words") {
    const auto* arr = node.as_array();
    if (!arr || arr->empty())
      throw bad("words is a list of words or phrases, e.g. [\"refund\", \"money back\"]");
    std::string joined;
    for (const auto& w : *arr) {
      auto v = w.value<std::string>();
      if (!w.is_string() || !v || v->find_first_not_of(" \t*") == std::string::npos ||
          v->find('\x1f') != std::string::npos)
        throw bad("every word is a string with a letter in it");
      joined += (joined.empty() ? "" : "\x1f") + *v;
    }
    return joined;
  }
  auto labels = k_labels.find(leaf);
  if (labels == k_labels.end()) throw bad("a triage rule has words, intent, sentiment and urgency");
  auto v = node.value<std::string>();
  if (!node.is_string() || !v ||
      std::find(labels->second.begin(), labels->second.end(), *v) == labels->second.end()) {
    std::string list;
    for (const auto& l : labels->second) list += (list.empty() ? "" : ", ") + l;
    throw bad(leaf + " is one of " + list);
  }
  return *v;
}

void collect(const toml::table& table, const std::string& prefix, const fs::path& path,
             std::map<std::string, std::string, std::less<>>& out,
             std::vector<std::string>& warnings) {
  for (auto&& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      collect(*sub, key, path, out, warnings);
      continue;
    }
    bool per_account = key.rfind("accounts.", 0) == 0;
    // [llm.prices."MODEL"] input = 0.15, output = 0.60: US dollars per million tokens.
    if (key.rfind("llm.prices.", 0) == 0) {
      std::string leaf(k.str());
      auto number = node.value<double>();
      if ((leaf != "input" && leaf != "output") || !number || !std::isfinite(*number) || *number < 0 ||
          *number > 1e6 || !(node.is_integer() || node.is_floating_point()))
        throw Error(ErrorKind::config,
                    "'" + key + "' at " + where(path, node.source()) +
                        ": a model's price is input = N and output = N, US dollars per million tokens, 0 or more",
                    "e.g. [llm.prices.\"gpt-4o-mini\"] input = 0.15 and output = 0.60");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", *number);
      out[key] = buf;
      continue;
    }
    // [triage.rules."NAME"] words = ["refund", "money back"], intent = "support", urgency = "high"
    if (key.rfind("triage.rules.", 0) == 0) {
      out[key] = triage_rule_value(key, std::string(k.str()), node, path);
      continue;
    }
    const ConfigKey* spec = find_config_key(key);
    if (!spec && !per_account) {
      warnings.push_back("unknown key '" + key + "' at " + where(path, node.source()) +
                         " (ignored)");
      continue;
    }
    auto value = leaf_to_string(node);
    if (!value)
      throw Error(ErrorKind::config,
                  "'" + key + "' at " + where(path, node.source()) +
                      " must be a string, integer or boolean",
                  "fix the file, or run: crier config edit");
    // The TOML type must be the key's: timezone = 42 is a mistake, not "42".
    if (spec) {
      bool right = spec->type == KeyType::string    ? node.is_string()
                   : spec->type == KeyType::integer ? node.is_integer()
                                                    : node.is_boolean();
      const char* want = spec->type == KeyType::string ? "a string (in quotes)"
                         : spec->type == KeyType::integer ? "an integer" : "true or false";
      if (!right)
        throw Error(ErrorKind::config, "'" + key + "' at " + where(path, node.source()) + " must be " + want,
                    "fix the file, or run: crier config set " + key + " VALUE");
    } else if (!node.is_string()) {
      throw Error(ErrorKind::config, "'" + key + "' at " + where(path, node.source()) + " must be a string (in quotes)",
                  "fix the file, or run: crier config edit");
    }
    if (spec) {
      try {
        validate_config_value(key, *value);
      } catch (const Error& e) {
        throw Error(ErrorKind::config, std::string(e.what()) + " at " + where(path, node.source()),
                    "fix the file, or run: crier config edit");
      }
    }
    out[key] = *value;
  }
}

}  // namespace

Config Config::defaults() { return Config{}; }

Config Config::load(const fs::path& path, bool must_exist) {
  Config c;
  c.m_path = path;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw Error(ErrorKind::config, "the config '" + path.string() + "' is a directory, not a file",
                "name the file, e.g. --config " + (path / "config.toml").string());
  if (!fs::exists(path, ec)) {
    if (must_exist)
      throw Error(ErrorKind::config, "the config file '" + path.string() + "' does not exist",
                  "create it with: crier --config " + path.string() + " init (or leave out --config)");
    return c;
  }
  return from_text(read_file(path), path);
}

Config Config::from_text(std::string_view text, const fs::path& path) {
  Config c;
  c.m_path = path;
  c.m_file_exists = true;
  toml::table table;
  try {
    table = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::config,
                "broken config " + where(path, e.source()) + ": " + std::string(e.description()),
                "fix the file (crier config edit), or move it away and run: crier init");
  }
  collect(table, "", path, c.m_file, c.m_warnings);
  return c;
}

std::string Config::get(std::string_view key) const {
  const ConfigKey* spec = find_config_key(key);
  if (!spec)
    throw Error(ErrorKind::usage, "unknown config key '" + std::string(key) + "'",
                "list the keys with: crier config get --all");
  if (auto it = m_overrides.find(key); it != m_overrides.end()) return it->second;
  if (!spec->env.empty()) {
    std::string env(spec->env);
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') {
      try {
        validate_config_value(key, v);
      } catch (const Error& e) {
        throw Error(ErrorKind::config, env + ": " + e.what(), "fix or unset " + env);
      }
      return v;
    }
  }
  if (auto it = m_file.find(key); it != m_file.end()) return it->second;
  return std::string(spec->default_value);
}

std::string Config::source(std::string_view key) const {
  const ConfigKey* spec = find_config_key(key);
  if (!spec) return "unknown";
  if (m_overrides.count(std::string(key))) return "flag";
  if (!spec->env.empty()) {
    std::string env(spec->env);
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') return "env";
  }
  if (m_file.count(std::string(key))) return "file";
  return "default";
}

long long Config::get_int(std::string_view key) const {
  std::string v = get(key);
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::config, "'" + std::string(key) + "' must be an integer, not '" + v + "'",
              "fix it with: crier config set " + std::string(key) + " NUMBER");
}

bool Config::get_bool(std::string_view key) const {
  std::string v = get(key);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw Error(ErrorKind::config, "'" + std::string(key) + "' must be true or false, not '" + v + "'");
}

std::optional<std::string> Config::account_value(std::string_view account,
                                                 std::string_view key) const {
  auto it = m_file.find("accounts." + std::string(account) + "." + std::string(key));
  if (it == m_file.end()) return std::nullopt;
  return it->second;
}

std::optional<double> Config::model_price(std::string_view model, std::string_view which) const {
  auto it = m_file.find("llm.prices." + std::string(model) + "." + std::string(which));
  if (it == m_file.end()) return std::nullopt;
  return std::strtod(it->second.c_str(), nullptr);
}

std::map<std::string, std::string> Config::table(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  for (auto it = m_file.lower_bound(prefix); it != m_file.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out[it->first.substr(prefix.size())] = it->second;
  return out;
}

void Config::set_override(std::string_view key, std::string value) {
  m_overrides[std::string(key)] = std::move(value);
}

void validate_config_value(std::string_view key, std::string_view value) {
  const ConfigKey* spec = find_config_key(key);
  if (!spec)
    throw Error(ErrorKind::usage, "unknown config key '" + std::string(key) + "'",
                "list the keys with: crier config get --all");
  std::string v(value);
  auto bad = [&](const std::string& want) {
    return Error(ErrorKind::invalid_input,
                 "'" + std::string(key) + "' must be " + want + ", not '" + v + "'");
  };
  if (spec->type == KeyType::integer) {
    std::string range = "an integer from " + std::to_string(spec->min) + " to " + std::to_string(spec->max);
    long long n = 0;
    try {
      size_t used = 0;
      n = std::stoll(v, &used);
      if (used != v.size()) throw bad(range);
    } catch (const std::logic_error&) {
      throw bad(range);
    }
    if (n < spec->min || n > spec->max) throw bad(range);
  } else if (spec->type == KeyType::boolean) {
    if (v != "true" && v != "false") throw bad("true or false");
  }
  if (key == "general.color" && v != "auto" && v != "always" && v != "never")
    throw bad("auto, always or never");
  if (key == "llm.backend" && v != "ollama" && v != "openai" && v != "anthropic" && v != "gemini")
    throw bad("ollama, openai, anthropic or gemini");
  if (key == "llm.daily_budget" && !v.empty()) {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !(d >= 0) || d > 1e9) throw bad("an amount of US dollars such as 2.50");
  }
  if (key == "general.timezone" && !v.empty()) {
    try {
      (void)date::locate_zone(v);
    } catch (const std::exception&) {
      throw Error(ErrorKind::invalid_input, "'" + std::string(key) + "': unknown time zone '" + v + "'",
                  "use an IANA name such as Europe/Berlin or America/New_York (see /usr/share/zoneinfo)");
    }
  }
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
      throw bad("text without control characters");
}

std::string default_config_text() { return std::string(embedded_file("src/config/default_config.toml")); }

namespace {

std::string toml_literal(std::string_view key, std::string_view value) {
  const ConfigKey* spec = find_config_key(key);
  if (spec && spec->type != KeyType::string) return std::string(value);
  // A TOML basic string: quotes, backslashes and control characters escaped.
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::string set_config_value_in_text(std::string_view text, std::string_view key,
                                     std::string_view value) {
  auto dot = key.rfind('.');
  if (dot == std::string_view::npos)
    throw Error(ErrorKind::usage, "config keys look like section.key, not '" + std::string(key) + "'");
  std::string section(key.substr(0, dot));
  std::string name(key.substr(dot + 1));
  std::string line_out = name + " = " + toml_literal(key, value);

  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  std::string current;
  long section_end = -1;  // index after the last line of our section
  bool in_section = false, done = false;
  for (size_t i = 0; i < lines.size() && !done; ++i) {
    std::string t = trim(lines[i]);
    if (!t.empty() && t[0] == '[') {
      current = trim(t.substr(1, t.find(']') - 1));
      in_section = current == section;
      if (in_section) section_end = static_cast<long>(i) + 1;
      continue;
    }
    if (!in_section) continue;
    section_end = static_cast<long>(i) + 1;
    // An active line "name = ..." or a commented-out default "# name = ...".
    std::string u = t;
    bool commented = !u.empty() && u[0] == '#';
    if (commented) u = trim(u.substr(1));
    if (u.rfind(name, 0) == 0 && trim(u.substr(name.size())).rfind('=', 0) == 0) {
      if (commented && i + 1 < lines.size()) {
        // keep looking for an active assignment below a commented example
        bool active_below = false;
        for (size_t j = i + 1; j < lines.size(); ++j) {
          std::string tj = trim(lines[j]);
          if (!tj.empty() && tj[0] == '[') break;
          if (tj.rfind(name, 0) == 0 && trim(tj.substr(name.size())).rfind('=', 0) == 0)
            active_below = true;
        }
        if (active_below) continue;
      }
      lines[i] = line_out;
      done = true;
    }
  }
  if (!done) {
    if (section_end >= 0) {
      lines.insert(lines.begin() + section_end, line_out);
    } else {
      if (!lines.empty() && !trim(lines.back()).empty()) lines.emplace_back();
      lines.push_back("[" + section + "]");
      lines.push_back(line_out);
    }
  }
  std::string result;
  for (const auto& l : lines) result += l + "\n";
  try {
    (void)toml::parse(result);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::config,
                "cannot set '" + std::string(key) + "': the file would not parse (" +
                    std::string(e.description()) + ")",
                "fix the file by hand: crier config edit");
  }
  return result;
}

}  // namespace crier
