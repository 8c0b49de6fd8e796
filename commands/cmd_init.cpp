// crier init: write the commented default config (never over an existing one) and create the
// database.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "paths.hpp"

namespace crier {
namespace {

struct InitOptions {
  bool force = false;
};

int run_init(const InitOptions& o, Context& ctx) {
  ctx.may_create_config();
  auto config_path = ctx.config_path();
  std::error_code ec;
  bool existed = std::filesystem::exists(config_path, ec);
  bool wrote = false;
  if (!existed || o.force) {
    if (existed) {
      auto backup = config_path;
      backup += ".bak";
      std::filesystem::copy_file(config_path, backup, std::filesystem::copy_options::overwrite_existing, ec);
    }
    write_file_atomic(config_path, default_config_text(),
                      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    wrote = true;
  }
  Store& store = ctx.store();  // also validates the config that is now there
  int version = store.schema_version();
  if (ctx.global().json) {
    ctx.print_json({{"config", config_path.string()},
                    {"config_written", wrote},
                    {"database", ctx.db_path().string()},
                    {"schema_version", version}});
    return 0;
  }
  ctx.info((wrote ? "wrote    " : "kept     ") + config_path.string());
  ctx.info("database " + ctx.db_path().string() + " (schema " + std::to_string(version) + ")");
  ctx.info("next: crier accounts add sandbox --handle me   (an offline network to try things)");
  return 0;
}

}  // namespace

void add_init(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_flag("--force", o->force, "rewrite the config with the defaults (the old one is kept as .bak)");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_init(*o, c); }; });
}

}  // namespace crier
