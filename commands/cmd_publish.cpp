// crier publish --due: what cron runs every minute. With nothing due it opens the database,
// asks one indexed question and exits, printing nothing (cron mails any output).
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "engine/queue_refs.hpp"
#include "common.hpp"
#include "engine/publisher.hpp"
#include "log.hpp"

#include <algorithm>
#include <csignal>
#include <thread>

#include <signal.h>

namespace crier {
namespace {

struct PublishCmdOptions {
  bool due = false;
  int limit = 0;
  int concurrency = 0;  // 0: publish.concurrency from the config
  bool watch = false;
};

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

PublishReport publish_once(const PublishCmdOptions& o, Context& ctx) {
  if (ctx.existing_store() == nullptr) return {};
  PublishOptions po;
  po.limit = o.limit;
  po.concurrency = o.concurrency > 0 ? o.concurrency : static_cast<int>(ctx.config().get_int("publish.concurrency"));
  if (po.concurrency > 1) po.make_worker = ctx.worker_factory();
  return publish_due(ctx.engine(), po);
}

int report_run(const PublishReport& report, Context& ctx);

// --watch: publish, then sleep until the next due time (checking at least every 30 s, for posts
// queued meanwhile by other processes), until SIGINT or SIGTERM. The run in progress finishes.
int run_watch(const PublishCmdOptions& o, Context& ctx) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ctx.info("watching the queue; Ctrl-C to stop");
  while (!g_stop) {
    PublishReport report = publish_once(o, ctx);
    if (!report.outcomes.empty()) report_run(report, ctx);
    Timestamp now = ctx.clock().now();
    Timestamp wake = now + std::chrono::seconds{30};
    if (Store* s = ctx.existing_store())
      if (auto next = s->next_due_time()) wake = std::clamp(*next, now + std::chrono::seconds{1}, wake);
    spdlog::debug("next check {}", format_utc(wake));
    // Sleep in short steps so a signal ends the wait at once.
    for (auto until = std::chrono::steady_clock::now() + (wake - now); !g_stop && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ctx.info("stopped");
  return exit_code::ok;
}

int run_publish(const PublishCmdOptions& o, Context& ctx) {
  if (o.watch) return run_watch(o, ctx);
  return report_run(publish_once(o, ctx), ctx);
}

int report_run(const PublishReport& report, Context& ctx) {
  int counts[4] = {0, 0, 0, 0};  // published, retry, paused, failed
  nlohmann::json list = nlohmann::json::array();
  warn_token_expiry(report);
  for (const auto& out : report.outcomes) {
    auto j = delivery_json(out.delivery, out.account);
    j["result"] = out.result;
    j["reconciled"] = out.reconciled;
    j["native_schedule"] = out.native_schedule;
    if (!out.warning.empty()) j["warning"] = out.warning;
    list.push_back(j);
    j["ref"] = ref_for(ctx.store(), out.delivery);
    list.back() = j;
    if (out.result == "published") {
      ++counts[0];
      if (ctx.global().json) continue;
      if (out.native_schedule)
        ctx.info("handed post " + j["ref"].get<std::string>() + " to " + out.account + "'s own scheduling: it goes out at " +
                 show_time(ctx, out.delivery.published_at) + " " + out.delivery.remote_url +
                 (out.reconciled ? " (found on the network after an interrupted attempt)" : ""));
      else
        ctx.info("published post " + j["ref"].get<std::string>() + " on " + out.account + " " +
                 out.delivery.remote_url + (out.reconciled ? " (found on the network after an interrupted attempt)" : ""));
      continue;
    }
    if (out.result == "retry" || out.result == "lost_lease") ++counts[1];
    else if (out.result == "paused") ++counts[2];
    else ++counts[3];
    report_not_published(ctx, out);
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
  cmd->add_option("--concurrency", o->concurrency, "deliveries of different accounts at once (default: config)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--watch", o->watch, "keep running: publish, sleep until the next due time, repeat");
  cmd->footer(
      "Exit status: 0 all published (or nothing due), 6 some failed, 75 nothing could be done now.\n"
      "cron: * * * * * crier publish --due");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_publish(*o, c); }; });
}

}  // namespace crier
