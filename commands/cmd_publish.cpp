// crier publish --due: what cron runs every minute. With nothing due it opens the database,
// asks one indexed question and exits, printing nothing (cron mails any output).
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/publisher.hpp"
#include "log.hpp"

namespace crier {
namespace {

struct PublishCmdOptions {
  bool due = false;
  int limit = 0;
};

int run_publish(const PublishCmdOptions& o, Context& ctx) {
  PublishReport report;
  if (ctx.existing_store() != nullptr) {
    PublishOptions po;
    po.limit = o.limit;
    report = publish_due(ctx.engine(), po);
  }
  int counts[4] = {0, 0, 0, 0};  // published, retry, paused, failed
  nlohmann::json list = nlohmann::json::array();
  for (const auto& out : report.outcomes) {
    auto j = delivery_json(out.delivery, out.account.name());
    j["result"] = out.result;
    j["reconciled"] = out.reconciled;
    list.push_back(j);
    if (out.result == "published") {
      ++counts[0];
      if (!ctx.global().json)
        ctx.info("published " + std::to_string(out.delivery.id) + " " + out.account.name() + " " +
                 out.delivery.remote_url + (out.reconciled ? " (found after an interrupted attempt)" : ""));
      continue;
    }
    if (out.result == "retry" || out.result == "lost_lease") ++counts[1];
    else if (out.result == "paused") ++counts[2];
    else ++counts[3];
    std::string next = out.result == "retry" ? ", next attempt " + show_time(ctx, out.delivery.next_attempt_at) : "";
    ctx.err << "crier: error: delivery " << out.delivery.id << " to " << out.account.name() << ": "
            << out.error << " (" << out.result << next << ")\n";
    if (!out.hint.empty()) ctx.err << "hint: " << out.hint << '\n';
  }
  if (ctx.global().json) {
    ctx.print_json({{"published", counts[0]},
                    {"retrying", counts[1]},
                    {"paused", counts[2]},
                    {"failed", counts[3]},
                    {"deliveries", list}});
  } else if (report.outcomes.empty()) {
    spdlog::info("nothing due");
  }
  return report.exit_code();
}

}  // namespace

void add_publish(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<PublishCmdOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_flag("--due", o->due, "publish every delivery that is due (the default)");
  cmd->add_option("--limit", o->limit, "at most N deliveries this run")->check(CLI::NonNegativeNumber);
  cmd->footer(
      "Exit status: 0 all published (or nothing due), 6 some failed, 75 nothing could be done now.\n"
      "cron: * * * * * crier publish --due");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_publish(*o, c); }; });
}

}  // namespace crier
