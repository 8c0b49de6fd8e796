// Helper commands are bounded: a hang, a child left holding the output, or silence is an
// error that names the setting, and nothing keeps crier waiting.
#include <catch2/catch.hpp>

#include <chrono>

#include "error.hpp"
#include "process.hpp"
#include "redact.hpp"

using namespace crier;
using namespace std::chrono_literals;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

TEST_CASE("a helper command's first line is the secret, remembered for redaction", "[process][secrets]") {
  forget_secrets();
  CHECK(secret_from_command("password_cmd", "printf 'hunter2-long\\nsecond line\\n'", 5s) == "hunter2-long");
  CHECK(redact_known("it is hunter2-long") == "it is [redacted]");
  forget_secrets();
}

TEST_CASE("a helper command that hangs is killed with its process group at the timeout", "[process]") {
  auto start = std::chrono::steady_clock::now();
  try {
    secret_from_command("llm.api_key_cmd", "sleep 30", 1s);
    FAIL("expected a timeout");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.what(), Catch::Contains("llm.api_key_cmd did not finish within 1 s"));
    CHECK_THAT(e.hint(), Catch::Contains("general.command_timeout_seconds"));
  }
  CHECK(seconds_since(start) < 5);
}

TEST_CASE("a helper command that leaves a child holding its output does not keep crier waiting", "[process]") {
  auto start = std::chrono::steady_clock::now();
  CHECK(secret_from_command("token_cmd", "sleep 30 & echo the-token", 20s) == "the-token");
  CHECK(seconds_since(start) < 5);
}

TEST_CASE("a helper command that fails or prints nothing is an error naming the setting", "[process]") {
  try {
    secret_from_command("password_cmd of bluesky:me", "true", 5s);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK(std::string(e.what()) == "password_cmd of bluesky:me printed nothing");
  }
  try {
    secret_from_command("token_cmd", "echo 'no such entry' >&2; exit 3", 5s);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "token_cmd failed (exit 3): no such entry");
  }
}

TEST_CASE("run_process without a timeout still runs to the end", "[process]") {
  auto r = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"});
  CHECK(r.exit_code == 4);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.timed_out);
}
