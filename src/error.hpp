// Errors are values with a kind. Code anywhere throws crier::Error; the engine decides retries
// from the kind, and main maps kinds to exit codes in exactly one place (exit_code_for).
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace crier {

enum class ErrorKind {
  usage,          // the command line was wrong (bad flag, missing argument)
  invalid_input,  // a value given was wrong (bad date, text too long, missing image)
  config,         // the configuration file or environment is broken
  auth,           // credentials missing, expired or refused
  rate_limited,   // the network asked us to slow down; retry_after may say for how long
  not_found,      // the thing named does not exist (locally or on the network)
  unsupported,    // the provider cannot do this operation
  transient,      // worth retrying: 5xx, timeouts, connection resets
  network,        // the server could not be reached at all
  permanent,      // the network refused this for good (4xx validation), message from server
  temporary,      // a local resource is unavailable for now (disk full, database busy): try later
  internal,       // a bug or an unexpected local failure (disk, database)
};

std::string_view to_string(ErrorKind kind);
std::optional<ErrorKind> error_kind_from_string(std::string_view name);

// Exit codes, documented in crier(1).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 2;
inline constexpr int config = 3;
inline constexpr int auth = 4;
inline constexpr int network = 5;
inline constexpr int partial = 6;
inline constexpr int temporary = 75;
}  // namespace exit_code

int exit_code_for(ErrorKind kind);

// True for the kinds a retry may cure (transient, network, rate_limited, temporary).
bool is_retryable(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

  ErrorKind kind() const { return m_kind; }
  const std::string& hint() const { return m_hint; }
  std::optional<std::chrono::seconds> retry_after() const { return m_retry_after; }
  // The server's own name for what went wrong ("RecordNotFound", "ExpiredToken"), "" when it
  // gave none: what code decides on, never the wording of what().
  const std::string& code() const { return m_code; }
  Error& with_code(std::string code) {
    m_code = std::move(code);
    return *this;
  }

  Error& with_retry_after(std::chrono::seconds s) {
    m_retry_after = s;
    return *this;
  }
  Error& with_hint(std::string hint) {
    m_hint = std::move(hint);
    return *this;
  }

 private:
  ErrorKind m_kind;
  std::string m_hint;
  std::string m_code;
  std::optional<std::chrono::seconds> m_retry_after;
};

}  // namespace crier
