// crier version
#include <CLI/CLI.hpp>
#include <curl/curlver.h>

#include "commands.hpp"
#include "common.hpp"

namespace crier {

void add_version(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->callback([&selected] {
    selected = [](Context& ctx) {
      int schema = static_cast<int>(embedded_migrations().size());
      if (ctx.global().json) {
        ctx.print_json({{"version", CRIER_VERSION}, {"schema_version", schema}, {"libcurl", LIBCURL_VERSION}});
      } else {
        ctx.out << "crier " << CRIER_VERSION << '\n';
      }
      return 0;
    };
  });
}

}  // namespace crier
