// crier queue [list|show|cancel|retry|reschedule]
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "engine/schedules.hpp"
#include "time/recurrence.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct QueueOptions {
  std::vector<std::string> statuses;
  std::string account;
  bool all = false;
  int limit = 0;
  std::string after, before;
  int64_t schedule = 0;
  std::vector<int64_t> ids;
  bool series = false;
  std::string at;
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
    Timestamp now = ctx.clock().now();
    if (!o.after.empty()) f.due_from = parse_when(o.after, now, ctx.time_zone());
    if (!o.before.empty()) f.due_until = parse_when(o.before, now, ctx.time_zone());
    if (o.schedule > 0) f.schedule_id = o.schedule;
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
  Table t({"ID", "POST", "ACCOUNT", "STATUS", "DUE", "WHEN", "REPEATS", "TEXT"});
  for (const auto& d : deliveries) {
    auto post = ctx.store().find_post(d.post_id);
    std::string when = d.status == DeliveryStatus::published && d.published_at
                           ? format_relative(*d.published_at, now)
                           : format_relative(d.next_attempt_at.value_or(d.due_at), now);
    std::string text = post ? post->text : "";
    if (!d.last_error.empty() && d.status != DeliveryStatus::published) text = "[" + d.last_error + "] " + text;
    t.add({std::to_string(d.id), std::to_string(d.post_id), account_name(ctx, d.account_id),
           ctx.style().status(to_string(d.status)), show_time(ctx, d.due_at), when,
           d.schedule_id ? "#" + std::to_string(*d.schedule_id) : "-", text});
  }
  t.print(ctx.out, 50);
  return 0;
}

Delivery must_find(Store& store, int64_t id) {
  auto d = store.find_delivery(id);
  if (!d) throw Error(ErrorKind::not_found, "no delivery " + std::to_string(id), "see: crier queue list --all");
  return *d;
}

nlohmann::json schedule_json(const Schedule& c) {
  Recurrence r = schedule_rule(c);
  nlohmann::json next = nlohmann::json::array();
  for (Timestamp t : upcoming_occurrences(c, 3)) next.push_back(format_utc(t));
  return {{"id", c.id},
          {"rule", c.rule},
          {"rrule", r.to_rrule()},
          {"description", r.describe()},
          {"timezone", c.tz},
          {"status", c.status},
          {"occurrences", c.occurrences},
          {"count", c.max_count ? nlohmann::json(*c.max_count) : nlohmann::json(nullptr)},
          {"until", c.until ? nlohmann::json(format_utc(*c.until)) : nlohmann::json(nullptr)},
          {"next", next}};
}

int run_show(const QueueOptions& o, Context& ctx) {
  Store& store = ctx.store();
  Delivery d = must_find(store, o.ids.at(0));
  auto post = store.find_post(d.post_id);
  auto j = delivery_json(d, account_name(ctx, d.account_id));
  j["text"] = post ? post->text : "";
  j["timezone"] = d.tz;
  j["idempotency_key"] = d.idempotency_key;
  nlohmann::json media = nlohmann::json::array();
  if (post)
    for (const auto& m : post->media) media.push_back({{"path", m.path}, {"alt", m.alt}, {"mime", m.mime}});
  j["images"] = media;
  std::optional<Schedule> sched = d.schedule_id ? store.find_schedule(*d.schedule_id) : std::nullopt;
  j["schedule"] = sched ? schedule_json(*sched) : nlohmann::json(nullptr);
  if (ctx.global().json) {
    ctx.print_json(j);
    return 0;
  }
  Timestamp now = ctx.clock().now();
  auto row = [&](const std::string& k, const std::string& v) { ctx.out << k << std::string(13 - k.size(), ' ') << v << '\n'; };
  row("delivery", std::to_string(d.id) + " (post " + std::to_string(d.post_id) + ")");
  row("account", j["account"].get<std::string>());
  row("status", ctx.style().status(to_string(d.status)));
  row("due", show_time(ctx, d.due_at) + " (" + format_relative(d.due_at, now) + "; written in " + d.tz + ")");
  row("attempts", std::to_string(d.attempts) +
                      (d.next_attempt_at ? ", next " + show_time(ctx, d.next_attempt_at) : std::string()));
  if (!d.last_error.empty()) row("last error", d.last_error + " (" + d.last_error_kind + ")");
  if (!d.remote_url.empty()) row("published", d.remote_url);
  if (sched) {
    auto sj = j["schedule"];
    row("repeats", sj["description"].get<std::string>() + " in " + sched->tz + " (schedule " +
                       std::to_string(sched->id) + ", " + sched->status + ", " + std::to_string(sched->occurrences) +
                       (sched->max_count ? " of " + std::to_string(*sched->max_count) : std::string()) + " so far)");
    for (const auto& n : sj["next"]) row("then", show_time(ctx, *parse_iso8601(n.get<std::string>())));
  }
  for (const auto& m : media) row("image", m["path"].get<std::string>() + " alt: " + m["alt"].get<std::string>());
  ctx.out << '\n' << j["text"].get<std::string>() << '\n';
  return 0;
}

int run_change(const QueueOptions& o, Context& ctx, bool cancel) {
  Store& store = ctx.store();
  nlohmann::json changed = nlohmann::json::array(), refused = nlohmann::json::array();
  for (int64_t id : o.ids) must_find(store, id);
  for (int64_t id : o.ids) {
    Delivery before = must_find(store, id);
    if (cancel && o.series) {
      if (!before.schedule_id)
        throw Error(ErrorKind::invalid_input, "delivery " + std::to_string(id) + " does not repeat",
                    "leave out --series to cancel just this one");
      int n = store.cancel_schedule(*before.schedule_id);
      changed.push_back(id);
      if (!ctx.global().json)
        ctx.info("cancelled schedule " + std::to_string(*before.schedule_id) + " (" + std::to_string(n) +
                 " queued deliveries, and no more occurrences)");
      continue;
    }
    bool ok = cancel ? store.cancel_delivery(id) : store.retry_delivery(id, ctx.clock().now());
    auto d = store.find_delivery(id);
    (ok ? changed : refused).push_back(id);
    if (ctx.global().json) continue;
    if (ok)
      ctx.info((cancel ? "cancelled " : "queued again ") + std::to_string(id) +
               (cancel && d->schedule_id ? " (this occurrence; --series cancels the rest)" : ""));
    else
      ctx.err << "crier: error: delivery " << id << " is " << to_string(d->status) << "; "
              << (cancel ? "only queued deliveries can be cancelled" : "only failed or dead deliveries can be retried")
              << '\n';
  }
  if (ctx.global().json) ctx.print_json({{cancel ? "cancelled" : "retried", changed}, {"refused", refused}});
  if (refused.empty()) return exit_code::ok;
  return changed.empty() ? exit_code::failure : exit_code::partial;
}

int run_reschedule(const QueueOptions& o, Context& ctx) {
  Store& store = ctx.store();
  Timestamp now = ctx.clock().now();
  bool slot = o.at == "next-slot";
  std::optional<Timestamp> when;
  if (!slot) {
    when = parse_when(o.at, now, ctx.time_zone());
    if (*when < now - std::chrono::minutes{1})
      throw Error(ErrorKind::invalid_input, "'" + o.at + "' is in the past (" + format_local(*when, ctx.time_zone()) + ")",
                  "give a future time");
  }
  nlohmann::json changed = nlohmann::json::array(), refused = nlohmann::json::array();
  for (int64_t id : o.ids) must_find(store, id);
  for (int64_t id : o.ids) {
    Delivery d = must_find(store, id);
    Timestamp due = when ? std::max(*when, now) : now;
    if (slot) {
      auto account = store.find_account(d.account_id);
      if (!account) throw Error(ErrorKind::not_found, "the account of delivery " + std::to_string(id) + " is gone");
      due = next_free_slot(ctx.engine(), *account, now);
    }
    bool ok = store.reschedule_delivery(id, due);
    (ok ? changed : refused).push_back(id);
    if (ctx.global().json) continue;
    if (ok)
      ctx.info("delivery " + std::to_string(id) + " now due " + show_time(ctx, due) + " (" + format_relative(due, now) + ")");
    else
      ctx.err << "crier: error: delivery " << id << " is " << to_string(d.status) << "; only queued deliveries can be rescheduled\n";
  }
  if (ctx.global().json) ctx.print_json({{"rescheduled", changed}, {"refused", refused}});
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
    c->add_option("--after", o->after, "only due at or after WHEN");
    c->add_option("--before", o->before, "only due at or before WHEN");
    c->add_option("--schedule", o->schedule, "only the occurrences of this recurring schedule");
  };
  add_filters(cmd);
  cmd->callback([o, &selected] {
    if (!selected) selected = [o](Context& c) { return run_list(*o, c); };
  });
  auto* list = cmd->add_subcommand("list", "list deliveries (default: those not yet published)");
  add_filters(list);
  list->callback([o, &selected] { selected = [o](Context& c) { return run_list(*o, c); }; });
  auto* show = cmd->add_subcommand("show", "one delivery in full: times, attempts, error, text, what repeats");
  show->add_option("id", o->ids, "delivery id")->required()->expected(1);
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });
  auto* cancel = cmd->add_subcommand("cancel", "cancel queued deliveries (--series: and what a schedule would add)");
  cancel->add_option("ids", o->ids, "delivery ids")->required();
  cancel->add_flag("--series", o->series, "for a recurring post: end its schedule and cancel its queued occurrences");
  cancel->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, true); }; });
  auto* retry = cmd->add_subcommand("retry", "queue failed or dead deliveries again, due now");
  retry->add_option("ids", o->ids, "delivery ids")->required();
  retry->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, false); }; });
  auto* reschedule = cmd->add_subcommand("reschedule", "move queued deliveries to another time (--at WHEN or next-slot)");
  reschedule->add_option("ids", o->ids, "delivery ids")->required();
  reschedule->add_option("--at", o->at, "the new time, as for schedule --at; next-slot for the next free slot")->required();
  reschedule->callback([o, &selected] { selected = [o](Context& c) { return run_reschedule(*o, c); }; });
}

}  // namespace crier
