// Running another program: the demo runs crier itself, tests run the binary, and secrets can
// come from a command (token_cmd). posix_spawn, no shell.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crier {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool timed_out = false;  // killed (with its process group) when the timeout ran out
};

struct ProcessOptions {
  std::map<std::string, std::optional<std::string>> env;  // set, or unset with nullopt
  std::optional<std::string> stdin_text;                  // nullopt: inherit stdin (or /dev/null when capturing)
  bool capture = true;                                    // false: inherit stdout and stderr
  // 0: wait as long as it takes. Else the child runs in a process group of its own, and the
  // whole group is killed when the time runs out - or shortly after the child exits while
  // something it started still holds its output open.
  std::chrono::milliseconds timeout{0};
  size_t max_output = 16 * 1024 * 1024;  // more on stdout or stderr is dropped
  // Called with each piece of stderr as it arrives (a helper's progress), when capturing.
  std::function<void(std::string_view)> on_stderr = nullptr;
};

// Runs argv[0] (looked up on PATH when it has no '/') and waits for it.
// Throws Error(internal) when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The secret a helper command prints (password_cmd, token_cmd, llm.api_key_cmd), run with
// /bin/sh: its first line, remembered for redaction. Throws Error(config) naming `setting`
// when it fails, prints nothing, or does not finish within `timeout` (then it is killed).
std::string secret_from_command(const std::string& setting, const std::string& command,
                                std::chrono::seconds timeout);

// Starts argv (PATH lookup, stdin/stdout/stderr on /dev/null, its own process group) and does
// not wait: for a browser that may outlive crier, or a test that kills what it started.
// Returns the pid, or -1 when it could not be started. The caller may waitpid() it.
int spawn_detached(const std::vector<std::string>& argv,
                   const std::map<std::string, std::optional<std::string>>& env = {});

// The path of the running executable.
std::string self_executable();

}  // namespace crier
