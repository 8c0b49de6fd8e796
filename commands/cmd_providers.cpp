// crier providers list
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "media/media.hpp"
#include "common.hpp"
#include "output/table.hpp"

namespace crier {
namespace {

int run_providers_list(Context& ctx) {
  // Built-in and external (crier-provider-NAME) alike; a plugin that cannot describe itself is
  // named on stderr and left out.
  ctx.config();  // general.provider_timeout_seconds bounds each plugin's describe
  std::vector<std::string> broken;
  auto infos = every_provider(&broken);
  for (const auto& b : broken) ctx.err << "crier: warning: " << b << '\n';
  if (ctx.global().quiet && !ctx.global().json) {  // names only, for scripts and shell completion
    for (const auto* info : infos) ctx.out << info->name << '\n';
    return 0;
  }
  nlohmann::json list = nlohmann::json::array();
  Table t({"NETWORK", "LIMIT", "IMAGES", "CAN", "ABOUT"});
  t.shrink_first(3);
  for (const auto* i : infos) {
    const ProviderInfo& info = *i;
    Provider& p = ctx.providers().get(info.name);
    TextRules r = p.text_rules(Account{});
    auto caps = capability_names(p.capabilities());
    std::string can;
    for (const auto& c : caps) can += (can.empty() ? "" : ",") + c;
    nlohmann::json options = nlohmann::json::array();
    std::string opts;
    for (const auto& o : info.post_options) {
      const char* type = o.type == PostOption::Type::boolean  ? "boolean"
                         : o.type == PostOption::Type::number ? "number"
                                                              : "text";
      options.push_back({{"name", o.name}, {"type", type}, {"required", o.required}, {"help", o.help}});
      opts += (opts.empty() ? "; --opt " : ", ") + std::string(o.name) + (o.required ? " (required)" : "");
    }
    list.push_back({{"name", info.name},
                    {"summary", info.summary},
                    {"max_length", r.max_length},
                    {"unit", r.unit},
                    {"max_bytes", r.max_bytes},
                    {"max_images", r.max_images},
                    {"max_image_bytes", r.max_image_bytes},
                    {"capabilities", caps},
                    {"options", options},
                    {"external", !info.path.empty()}});
    if (!info.path.empty()) {
      list.back()["path"] = info.path;
      list.back()["version"] = info.version;
      opts += "; external" + (info.version.empty() ? std::string() : " " + std::string(info.version));
    }
    t.add({std::string(info.name), std::to_string(r.max_length) + " " + r.unit,
           std::to_string(r.max_images) + " x " + human_bytes(r.max_image_bytes), can,
           std::string(info.summary) + opts});
  }
  if (ctx.global().json)
    ctx.print_json({{"providers", list}});
  else
    ctx.print_table(t);
  return 0;
}

}  // namespace

void add_providers(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  auto* list = cmd->add_subcommand("list", "list the networks with their limits and abilities (-q: names only)");
  cmd->callback([&selected] { selected = run_providers_list; });
  list->callback([&selected] { selected = run_providers_list; });
}

}  // namespace crier
