// The command line: global flags, the command table, parsing, and the one place where errors
// become messages and exit codes.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "context.hpp"

namespace CLI {
class App;
}

namespace crier {

// The whole CLI11 tree (for the binary and for tests that walk it).
std::unique_ptr<CLI::App> build_cli(GlobalOptions& global, Runner& selected);

// Runs crier with `args` (without the program name). Returns the exit code.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            std::istream& in);

// The closest of `candidates` to `word` when it is close enough to suggest, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace crier
