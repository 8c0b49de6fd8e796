// crier config get|set|path|edit
#include <CLI/CLI.hpp>

#include <cstdlib>

#include <sys/wait.h>

#include "commands.hpp"
#include "common.hpp"
#include "config/config_keys.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "paths.hpp"

namespace crier {
namespace {

struct ConfigOptions {
  std::string key;
  std::string value;
  bool all = false;
};

int run_get(const ConfigOptions& o, Context& ctx) {
  Config& c = ctx.config();
  if (o.key.empty() && !o.all)
    throw Error(ErrorKind::usage, "say which key to get, or --all", "e.g. crier config get general.timezone");
  if (!o.key.empty() && !o.all) {
    std::string v = c.get(o.key);
    if (ctx.global().json)
      ctx.print_json({{"key", o.key}, {"value", v}, {"source", c.source(o.key)}});
    else
      ctx.out << v << '\n';
    return 0;
  }
  nlohmann::json list = nlohmann::json::array();
  Table t({"KEY", "VALUE", "FROM", "ABOUT"});
  for (const auto& k : config_keys()) {
    std::string v = c.get(k.name);
    list.push_back({{"key", k.name}, {"value", v}, {"source", c.source(k.name)}, {"env", k.env}});
    t.add({std::string(k.name), v.empty() ? "-" : v, c.source(k.name), std::string(k.doc)});
  }
  if (ctx.global().json)
    ctx.print_json({{"keys", list}});
  else
    ctx.print_table(t);
  return 0;
}

int run_set(const ConfigOptions& o, Context& ctx) {
  ctx.may_create_config();
  validate_config_value(o.key, o.value);
  auto path = ctx.config_path();
  std::error_code ec;
  std::string text = std::filesystem::exists(path, ec) ? read_file(path) : default_config_text();
  // Refuse to edit a file that is already broken: the user's fix comes first.
  (void)Config::load(path);
  std::string updated = set_config_value_in_text(text, o.key, o.value);
  write_file_atomic(path, updated);
  if (ctx.global().json)
    ctx.print_json({{"key", o.key}, {"value", o.value}, {"config", path.string()}});
  else
    ctx.info(o.key + " = " + o.value);
  return 0;
}

int run_path(Context& ctx) {
  if (ctx.global().json) {
    ctx.print_json({{"config", ctx.config_path().string()}, {"database", ctx.db_path().string()}});
  } else {
    ctx.out << ctx.config_path().string() << '\n';
  }
  return 0;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run_edit(Context& ctx) {
  ctx.may_create_config();
  auto path = ctx.config_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) write_file_atomic(path, default_config_text());
  const char* editor = std::getenv("VISUAL");
  if (editor == nullptr || *editor == '\0') editor = std::getenv("EDITOR");
  if (editor == nullptr || *editor == '\0') editor = "vi";
  std::string cmd = std::string(editor) + " " + shell_quote(path.string());
  int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
    throw Error(ErrorKind::config, std::string("the editor '") + editor + "' failed",
                "set VISUAL or EDITOR to an editor that works");
  // Check what was written; a broken file is reported with line and column.
  Config checked = Config::load(path);
  for (const auto& w : checked.warnings()) ctx.err << "crier: warning: " << w << '\n';
  ctx.info("config ok: " + path.string());
  return 0;
}

}  // namespace

void add_config(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto* get = cmd->add_subcommand("get", "print a key's effective value (flags > env > file > default)");
  get->add_option("key", o->key, "section.key, e.g. general.timezone");
  get->add_flag("--all", o->all, "every key with its value and where it came from");
  get->callback([o, &selected] { selected = [o](Context& c) { return run_get(*o, c); }; });
  auto* set = cmd->add_subcommand("set", "set a key in the config file, keeping its comments");
  set->add_option("key", o->key, "section.key")->required();
  set->add_option("value", o->value, "the new value")->required();
  set->callback([o, &selected] { selected = [o](Context& c) { return run_set(*o, c); }; });
  auto* path = cmd->add_subcommand("path", "print the config file's path");
  path->callback([&selected] { selected = run_path; });
  auto* edit = cmd->add_subcommand("edit", "open the config in $VISUAL or $EDITOR, then check it");
  edit->callback([&selected] { selected = run_edit; });
}

}  // namespace crier
