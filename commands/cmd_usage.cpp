// crier usage: what the language model cost, by model, feature or day.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "engine/usage.hpp"
#include "output/table.hpp"
#include "store/store.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct UsageOptions {
  std::string since = "30d";
  std::string by = "model";
};

std::string dollars(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, d < 0.01 && d > 0 ? "$%.4f" : "$%.2f", d);
  return buf;
}

int run_usage(const UsageOptions& o, Context& ctx) {
  Timestamp since = ctx.clock().now() - parse_duration(o.since);
  std::vector<UsageRow> rows;
  if (ctx.existing_store()) rows = usage_report(ctx.engine(), since, o.by);
  else if (o.by != "model" && o.by != "feature" && o.by != "day")
    throw Error(ErrorKind::usage, "--by takes model, feature or day, not '" + o.by + "'");
  UsageRow total;
  total.key = "total";
  for (const auto& r : rows) {
    total.calls += r.calls;
    total.failed += r.failed;
    total.input_tokens += r.input_tokens;
    total.output_tokens += r.output_tokens;
    total.cost += r.cost;
    total.unpriced += r.unpriced;
    total.latency_ms += r.latency_ms;
  }
  auto row_json = [](const UsageRow& r) {
    return nlohmann::json{{"key", r.key},
                          {"calls", r.calls},
                          {"failed", r.failed},
                          {"input_tokens", r.input_tokens},
                          {"output_tokens", r.output_tokens},
                          {"cost_usd", r.cost},
                          {"unpriced_calls", r.unpriced},
                          {"avg_latency_ms", r.calls ? r.latency_ms / r.calls : 0}};
  };
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : rows) list.push_back(row_json(r));
    ctx.print_json({{"since", format_utc(since)}, {"by", o.by}, {"rows", list}, {"total", row_json(total)}});
    return 0;
  }
  if (rows.empty()) {
    ctx.info("no model calls since " + show_time(ctx, since) + " (crier draft makes them)");
    return 0;
  }
  std::string head = o.by == "model" ? "MODEL" : o.by == "feature" ? "FEATURE" : "DAY";
  Table t({head, "CALLS", "FAILED", "INPUT TOKENS", "OUTPUT TOKENS", "COST", "AVG LATENCY"});
  auto add = [&](const UsageRow& r) {
    t.add({r.key, std::to_string(r.calls), std::to_string(r.failed), std::to_string(r.input_tokens),
           std::to_string(r.output_tokens), dollars(r.cost) + (r.unpriced ? " + " + std::to_string(r.unpriced) + " unpriced" : ""),
           std::to_string(r.calls ? r.latency_ms / r.calls : 0) + " ms"});
  };
  for (const auto& r : rows) add(r);
  if (rows.size() > 1) add(total);
  ctx.print_table(t);
  if (total.unpriced > 0)
    ctx.info("models without a price are not in the cost: give them one in the config, e.g. "
             "[llm.prices.\"MODEL\"] input = 0.15 and output = 0.60 (US dollars per million tokens)");
  return 0;
}

}  // namespace

void add_usage(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<UsageOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("--since", o->since, "the window: 30d (default), 7d, 12h, 2w");
  cmd->add_option("--by", o->by, "rows by model (default), feature or day");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_usage(*o, c); }; });
}

}  // namespace crier
