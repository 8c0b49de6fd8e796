// crier queue [list|cancel|retry]
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct QueueOptions {
  std::vector<std::string> statuses;
  std::string account;
  bool all = false;
  int limit = 0;
  std::vector<int64_t> ids;
};

int run_list(const QueueOptions& o, Context& ctx) {
  std::vector<Delivery> deliveries;
  Store* store = ctx.existing_store();
  if (store != nullptr) {
    DeliveryFilter f;
    for (const auto& s : o.statuses) {
      auto st = delivery_status_from_string(s);
      if (!st)
        throw Error(ErrorKind::usage, "unknown status '" + s + "'",
                    "use queued, publishing, published, failed, dead or cancelled");
      f.statuses.push_back(*st);
    }
    if (f.statuses.empty() && !o.all)
      f.statuses = {DeliveryStatus::queued, DeliveryStatus::publishing, DeliveryStatus::failed,
                    DeliveryStatus::dead};
    if (!o.account.empty()) f.account_id = resolve_account(*store, o.account).id;
    f.limit = o.limit;
    deliveries = store->list_deliveries(f);
  }
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : deliveries) {
      auto j = delivery_json(d, account_name(ctx, d.account_id));
      auto post = ctx.store().find_post(d.post_id);
      j["text"] = post ? post->text : "";
      list.push_back(j);
    }
    ctx.print_json({{"deliveries", list}});
    return 0;
  }
  if (deliveries.empty()) {
    ctx.info(o.all || !o.statuses.empty() ? "no deliveries" : "the queue is empty");
    return 0;
  }
  Timestamp now = ctx.clock().now();
  Table t({"ID", "POST", "ACCOUNT", "STATUS", "DUE", "WHEN", "TEXT"});
  for (const auto& d : deliveries) {
    auto post = ctx.store().find_post(d.post_id);
    std::string when = d.status == DeliveryStatus::published && d.published_at
                           ? format_relative(*d.published_at, now)
                           : format_relative(d.next_attempt_at.value_or(d.due_at), now);
    std::string text = post ? post->text : "";
    if (!d.last_error.empty() && d.status != DeliveryStatus::published) text = "[" + d.last_error + "] " + text;
    t.add({std::to_string(d.id), std::to_string(d.post_id), account_name(ctx, d.account_id),
           ctx.style().status(to_string(d.status)), show_time(ctx, d.due_at), when, text});
  }
  t.print(ctx.out, 50);
  return 0;
}

int run_change(const QueueOptions& o, Context& ctx, bool cancel) {
  Store& store = ctx.store();
  nlohmann::json changed = nlohmann::json::array(), refused = nlohmann::json::array();
  for (int64_t id : o.ids) {
    auto d = store.find_delivery(id);
    if (!d) throw Error(ErrorKind::not_found, "no delivery " + std::to_string(id), "see: crier queue list --all");
  }
  for (int64_t id : o.ids) {
    bool ok = cancel ? store.cancel_delivery(id) : store.retry_delivery(id, ctx.clock().now());
    auto d = store.find_delivery(id);
    (ok ? changed : refused).push_back(id);
    if (ctx.global().json) continue;
    if (ok)
      ctx.info((cancel ? "cancelled " : "queued again ") + std::to_string(id));
    else
      ctx.err << "crier: error: delivery " << id << " is " << to_string(d->status) << "; "
              << (cancel ? "only queued deliveries can be cancelled" : "only failed or dead deliveries can be retried")
              << '\n';
  }
  if (ctx.global().json) ctx.print_json({{cancel ? "cancelled" : "retried", changed}, {"refused", refused}});
  if (refused.empty()) return exit_code::ok;
  return changed.empty() ? exit_code::failure : exit_code::partial;
}

}  // namespace

void add_queue(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<QueueOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  auto add_filters = [o](CLI::App* c) {
    c->add_option("--status", o->statuses, "only these statuses (queued, publishing, published, failed, dead, cancelled)");
    c->add_option("--account", o->account, "only this account");
    c->add_flag("--all", o->all, "include published and cancelled deliveries");
    c->add_option("--limit", o->limit, "at most N rows")->check(CLI::NonNegativeNumber);
  };
  add_filters(cmd);
  cmd->callback([o, &selected] {
    if (!selected) selected = [o](Context& c) { return run_list(*o, c); };
  });
  auto* list = cmd->add_subcommand("list", "list deliveries (default: those not yet published)");
  add_filters(list);
  list->callback([o, &selected] { selected = [o](Context& c) { return run_list(*o, c); }; });
  auto* cancel = cmd->add_subcommand("cancel", "cancel queued deliveries");
  cancel->add_option("ids", o->ids, "delivery ids")->required();
  cancel->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, true); }; });
  auto* retry = cmd->add_subcommand("retry", "queue failed or dead deliveries again, due now");
  retry->add_option("ids", o->ids, "delivery ids")->required();
  retry->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, false); }; });
}

}  // namespace crier
