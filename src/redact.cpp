#include "redact.hpp"

#include <algorithm>
#include <mutex>
#include <regex>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/transport.hpp"

namespace crier {
namespace {

constexpr size_t k_min_length = 6;

struct Registry {
  std::mutex mutex;
  std::vector<std::string> values;  // longest first, so a secret containing another goes first
};

Registry& registry() {
  static Registry r;
  return r;
}

void add(Registry& r, std::string v) {
  if (v.size() < k_min_length || std::find(r.values.begin(), r.values.end(), v) != r.values.end()) return;
  r.values.push_back(std::move(v));
}

bool secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* w : {"token", "secret", "password", "jwt", "key", "credential", "session"})
    if (name.find(w) != std::string::npos) return true;
  return false;
}

void collect(const nlohmann::json& j, bool parent_secret) {
  if (j.is_string()) {
    if (parent_secret) remember_secret(j.get<std::string>());
    return;
  }
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) collect(it.value(), parent_secret || secret_name(it.key()));
  if (j.is_array())
    for (const auto& v : j) collect(v, parent_secret);
}

}  // namespace

void remember_secret(std::string_view value) {
  std::string v(value);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
  if (v.size() < k_min_length) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  // As a JSON string writes it (escapes; invalid UTF-8 left as it is, so it still matches).
  std::string json = nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore);
  add(r, v);
  add(r, json.substr(1, json.size() - 2));
  add(r, url_encode(v));
  std::sort(r.values.begin(), r.values.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
}

void remember_secrets_in(std::string_view credential) {
  auto j = nlohmann::json::parse(credential, nullptr, false);
  if (j.is_discarded() || j.is_string()) {
    remember_secret(j.is_string() ? j.get<std::string>() : std::string(credential));
    return;
  }
  collect(j, false);
}

void forget_secrets() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.values.clear();
}

std::string redact_known(std::string_view text) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string s(text);
  for (const auto& v : r.values) {
    size_t pos = 0;
    while ((pos = s.find(v, pos)) != std::string::npos) {
      s.replace(pos, v.size(), "[redacted]");
      pos += 10;
    }
  }
  return s;
}

std::string redact(std::string_view text) {
  static const std::regex k_bearer(R"((Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]+)", std::regex::icase);
  static const std::regex k_jwt(R"(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");
  static const std::regex k_json_field(
      R"xx(("(?:[A-Za-z_]*(?:password|token|secret|jwt|key)[A-Za-z_]*)"\s*:\s*)"(?:[^"\\]|\\.)*")xx",
      std::regex::icase);
  static const std::regex k_query(R"(([?&](?:access_token|token|client_secret|password|code|key)=)[^&\s]+)",
                                  std::regex::icase);
  std::string s = redact_known(text);
  s = std::regex_replace(s, k_bearer, "$1 [redacted]");
  s = std::regex_replace(s, k_jwt, "[redacted-jwt]");
  s = std::regex_replace(s, k_json_field, "$1\"[redacted]\"");
  s = std::regex_replace(s, k_query, "$1[redacted]");
  return s;
}

}  // namespace crier
