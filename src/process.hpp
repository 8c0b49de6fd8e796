// Running another program: the demo runs crier itself, tests run the binary, and secrets can
// come from a command (token_cmd). posix_spawn, no shell.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crier {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::map<std::string, std::optional<std::string>> env;  // set, or unset with nullopt
  std::optional<std::string> stdin_text;                  // nullopt: inherit stdin (or /dev/null when capturing)
  bool capture = true;                                    // false: inherit stdout and stderr
};

// Runs argv[0] (looked up on PATH when it has no '/') and waits for it.
// Throws Error(internal) when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts argv (PATH lookup, stdin/stdout/stderr on /dev/null, its own process group) and does
// not wait: for a browser that may outlive crier, or a test that kills what it started.
// Returns the pid, or -1 when it could not be started. The caller may waitpid() it.
int spawn_detached(const std::vector<std::string>& argv,
                   const std::map<std::string, std::optional<std::string>>& env = {});

// The path of the running executable.
std::string self_executable();

}  // namespace crier
