// crier analytics [summary|refresh]
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/analytics.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct AnalyticsOptions {
  std::string since;
};

Timestamp since_of(const AnalyticsOptions& o, Context& ctx) {
  auto window = o.since.empty() ? std::chrono::seconds{std::chrono::days{ctx.config().get_int("analytics.since_days")}}
                                : parse_duration(o.since);
  return ctx.clock().now() - window;
}

int run_refresh(const AnalyticsOptions& o, Context& ctx) {
  Timestamp since = since_of(o, ctx);
  RefreshResult r;
  if (ctx.existing_store() != nullptr)
    r = refresh_metrics(ctx.engine(), since, [&ctx](const std::string& what) { ctx.progress("taking " + what + "…"); });
  ctx.progress("");
  for (const auto& e : r.errors) ctx.err << "crier: error: " << e << '\n';
  if (ctx.global().json)
    ctx.print_json({{"posts", r.posts}, {"accounts", r.accounts}, {"errors", r.errors}});
  else
    ctx.info("took metrics of " + count_of(r.posts, "post", "posts") + " and " + count_of(r.accounts, "account", "accounts"));
  if (r.errors.empty()) return exit_code::ok;
  return r.accounts == 0 && r.posts == 0 ? exit_code::failure : exit_code::partial;
}

int run_summary(const AnalyticsOptions& o, Context& ctx) {
  Timestamp since = since_of(o, ctx);
  std::vector<AccountSummary> rows;
  if (ctx.existing_store() != nullptr) rows = summarize(ctx.engine(), since);
  auto opt = [](std::optional<int64_t> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : rows)
      list.push_back({{"account", s.account.name()},
                      {"posts", s.posts},
                      {"likes", s.likes},
                      {"reposts", s.reposts},
                      {"replies", s.replies},
                      {"quotes", s.quotes},
                      {"views", opt(s.views)},
                      {"followers", opt(s.followers)},
                      {"followers_change", opt(s.followers_change)},
                      {"score", opt(s.score)}});
    ctx.print_json({{"since", format_utc(since)}, {"accounts", list}});
    return 0;
  }
  if (rows.empty()) {
    ctx.info("no accounts yet");
    return 0;
  }
  auto num = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("-"); };
  // SCORE (Reddit's karma) only where a network keeps one.
  bool scores =
      std::any_of(rows.begin(), rows.end(), [](const AccountSummary& s) { return s.score.has_value(); });
  std::vector<std::string> head{"ACCOUNT", "POSTS", "LIKES",     "REPOSTS", "REPLIES",
                                "QUOTES",  "VIEWS", "FOLLOWERS", "CHANGE"};
  if (scores) head.push_back("SCORE");
  Table t(head);
  t.shrink_first(0);
  for (const auto& s : rows) {
    std::string change = s.followers_change ? (*s.followers_change >= 0 ? "+" : "") + std::to_string(*s.followers_change) : "-";
    std::vector<std::string> row{s.account.name(),
                                 std::to_string(s.posts),
                                 std::to_string(s.likes),
                                 std::to_string(s.reposts),
                                 std::to_string(s.replies),
                                 std::to_string(s.quotes),
                                 num(s.views),
                                 num(s.followers),
                                 change};
    if (scores) row.push_back(num(s.score));
    t.add(row);
  }
  ctx.out << "since " << show_time(ctx, since) << '\n';
  ctx.print_table(t);
  bool stale = std::all_of(rows.begin(), rows.end(), [](const AccountSummary& s) { return !s.followers; });
  if (stale) ctx.err << "hint: no metrics taken yet: crier analytics refresh\n";
  return 0;
}

}  // namespace

void add_analytics(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<AnalyticsOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("--since", o->since, "window, e.g. 7d, 30d, 12h (default: analytics.since_days)");
  cmd->callback([o, &selected] {
    if (!selected) selected = [o](Context& c) { return run_summary(*o, c); };
  });
  auto* summary = cmd->add_subcommand("summary", "totals per account over the window (the default)");
  summary->add_option("--since", o->since, "window, e.g. 7d, 30d, 12h");
  summary->callback([o, &selected] { selected = [o](Context& c) { return run_summary(*o, c); }; });
  auto* refresh = cmd->add_subcommand("refresh", "take a snapshot of each recent post's counts and each account's followers");
  refresh->add_option("--since", o->since, "posts published within this window, e.g. 30d");
  refresh->callback([o, &selected] { selected = [o](Context& c) { return run_refresh(*o, c); }; });
}

}  // namespace crier
