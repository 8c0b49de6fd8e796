#include "error.hpp"

#include <array>
#include <utility>

namespace crier {
namespace {
constexpr std::array<std::pair<ErrorKind, std::string_view>, 12> k_names{{
    {ErrorKind::usage, "usage"},
    {ErrorKind::invalid_input, "invalid_input"},
    {ErrorKind::config, "config"},
    {ErrorKind::auth, "auth"},
    {ErrorKind::rate_limited, "rate_limited"},
    {ErrorKind::not_found, "not_found"},
    {ErrorKind::unsupported, "unsupported"},
    {ErrorKind::transient, "transient"},
    {ErrorKind::network, "network"},
    {ErrorKind::permanent, "permanent"},
    {ErrorKind::temporary, "temporary"},
    {ErrorKind::internal, "internal"},
}};
}  // namespace

std::string_view to_string(ErrorKind kind) {
  for (const auto& [k, name] : k_names)
    if (k == kind) return name;
  return "internal";
}

std::optional<ErrorKind> error_kind_from_string(std::string_view name) {
  for (const auto& [k, n] : k_names)
    if (n == name) return k;
  return std::nullopt;
}

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::invalid_input:
      return exit_code::usage;
    case ErrorKind::config:
      return exit_code::config;
    case ErrorKind::auth:
      return exit_code::auth;
    case ErrorKind::network:
    case ErrorKind::transient:
      return exit_code::network;
    case ErrorKind::rate_limited:
    case ErrorKind::temporary:
      return exit_code::temporary;
    case ErrorKind::not_found:
    case ErrorKind::unsupported:
    case ErrorKind::permanent:
    case ErrorKind::internal:
      return exit_code::failure;
  }
  return exit_code::failure;
}

bool is_retryable(ErrorKind kind) {
  return kind == ErrorKind::transient || kind == ErrorKind::network ||
         kind == ErrorKind::rate_limited || kind == ErrorKind::temporary;
}

}  // namespace crier
