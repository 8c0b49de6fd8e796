// The one table of commands: name, summary, what each needs, and the function that adds it
// to the CLI. --help, the completions, crier(1) and a test that keeps them in step all follow it.
#pragma once

#include <functional>
#include <span>
#include <string_view>

namespace CLI {
class App;
}

namespace crier {

class Context;
using Runner = std::function<int(Context&)>;

enum Need : unsigned {
  need_nothing = 0,
  need_store = 1,    // opens the database
  need_network = 2,  // may talk to a network
  need_account = 4,  // needs at least one connected account
};

struct CommandInfo {
  std::string_view name;
  std::string_view summary;
  unsigned needs;
  // Two or three command lines, one per line, shown at the end of --help. A test runs each of
  // them (and those of README.md and crier(1)) against the sandbox, so they stay true.
  std::string_view examples;
  // Adds the subcommand to `app`; when it is chosen, sets `selected` to its run function.
  void (*add)(CLI::App& app, const CommandInfo& info, Runner& selected);
};

std::span<const CommandInfo> command_table();

}  // namespace crier
