// crier queue [list|show|cancel|restore|retry|reschedule]. Everything here is named the one
// way (engine/queue_refs.hpp): post 10, 10@account, schedule s3.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/queue_refs.hpp"
#include "engine/schedules.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/recurrence.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct QueueOptions {
  std::vector<std::string> statuses;
  std::string account;
  bool all = false;
  bool failed = false;
  int limit = 0;
  std::string after, before;
  std::string schedule;
  std::vector<std::string> refs;
  bool series = false;
  std::string at;
};

// When a queued delivery will really be tried: its due time, or later for a retry's backoff or
// the account's rate limit.
Timestamp effective_due(const Delivery& d, const std::optional<Account>& a) {
  Timestamp t = std::max(d.due_at, d.next_attempt_at.value_or(d.due_at));
  if (a && a->rate_limited_until && d.status == DeliveryStatus::queued) t = std::max(t, *a->rate_limited_until);
  return t;
}

std::string label_of(Context& ctx, int64_t account_id) {
  auto a = ctx.store().find_account(account_id);
  return a ? account_label(*a) : "?";
}

DeliveryFilter list_filter(const QueueOptions& o, Context& ctx, Store& store) {
  DeliveryFilter f;
  for (const auto& s : split_commas(o.statuses)) {
    auto st = delivery_status_from_string(s);
    if (!st)
      throw Error(ErrorKind::usage, "unknown status '" + s + "'",
                  "use queued, publishing, published, failed, dead or cancelled (several: --status failed,dead)");
    f.statuses.push_back(*st);
  }
  if (o.failed) f.statuses = {DeliveryStatus::failed, DeliveryStatus::dead};
  if (f.statuses.empty() && !o.all)
    f.statuses = {DeliveryStatus::queued, DeliveryStatus::publishing, DeliveryStatus::failed, DeliveryStatus::dead};
  if (!o.account.empty()) f.account_id = resolve_account(store, o.account).id;
  Timestamp now = ctx.clock().now();
  if (!o.after.empty()) f.due_from = parse_when(o.after, now, ctx.time_zone());
  if (!o.before.empty()) f.due_until = parse_when(o.before, now, ctx.time_zone());
  if (!o.schedule.empty()) {
    QueueRef r = parse_queue_ref(o.schedule[0] == 's' || o.schedule[0] == 'S' ? o.schedule : "s" + o.schedule);
    if (r.kind != QueueRef::Kind::schedule) throw Error(ErrorKind::usage, "--schedule takes a schedule, e.g. s3");
    f.schedule_id = r.id;
  }
  f.limit = o.limit;
  return f;
}

int run_list(const QueueOptions& o, Context& ctx) {
  std::vector<Delivery> deliveries;
  Store* store = ctx.existing_store();
  if (store != nullptr) deliveries = store->list_deliveries(list_filter(o, ctx, *store));
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : deliveries) {
      auto j = delivery_json(d, account_name(ctx, d.account_id));
      auto post = ctx.store().find_post(d.post_id);
      j["text"] = post ? post->text : "";
      j["ref"] = ref_for(ctx.store(), d);
      list.push_back(j);
    }
    ctx.print_json({{"deliveries", list}});
    return 0;
  }
  if (deliveries.empty()) {
    ctx.info(o.all || o.failed || !o.statuses.empty() ? "nothing in the queue matches" : "the queue is empty");
    return 0;
  }
  Timestamp now = ctx.clock().now();
  bool errors = o.failed || std::any_of(deliveries.begin(), deliveries.end(), [](const Delivery& d) {
    return d.status == DeliveryStatus::failed || d.status == DeliveryStatus::dead;
  });
  std::vector<std::string> headers{"POST", "ACCOUNT", "STATUS", "DUE", "WHEN", "REPEATS", "TEXT"};
  if (errors) headers.push_back("LAST ERROR");
  Table t(headers);
  t.shrink_first(6);
  t.keep(0);
  for (const auto& d : deliveries) {
    auto post = ctx.store().find_post(d.post_id);
    auto account = ctx.store().find_account(d.account_id);
    Timestamp due = effective_due(d, account);
    bool done = d.status == DeliveryStatus::published && d.published_at;
    std::string when = done ? format_relative(*d.published_at, now) : format_relative(due, now);
    if (d.status == DeliveryStatus::queued && d.attempts > 0) when += " (retry " + std::to_string(d.attempts) + ")";
    if (d.status == DeliveryStatus::queued && account && account->status != "active") when = "paused";
    std::vector<std::string> row{ref_for(ctx.store(), d),
                                 account ? short_label(ctx.store(), *account) : "?",
                                 ctx.style().status(to_string(d.status)),
                                 show_time(ctx, done ? *d.published_at : due),
                                 when,
                                 d.schedule_id ? "s" + std::to_string(*d.schedule_id) : "-",
                                 post ? post->text : ""};
    if (errors)
      row.push_back(d.status == DeliveryStatus::failed || d.status == DeliveryStatus::dead ? d.last_error : "");
    t.add(row);
  }
  ctx.print_table(t);
  return 0;
}

nlohmann::json schedule_json(const Schedule& c) {
  Recurrence r = schedule_rule(c);
  nlohmann::json next = nlohmann::json::array();
  for (Timestamp t : upcoming_occurrences(c, 3)) next.push_back(format_utc(t));
  return {{"id", c.id},
          {"ref", "s" + std::to_string(c.id)},
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

void row(Context& ctx, const std::string& k, const std::string& v) {
  ctx.out << k << std::string(k.size() < 13 ? 13 - k.size() : 1, ' ') << v << '\n';
}

void show_delivery(Context& ctx, const Delivery& d, const nlohmann::json& j) {
  Timestamp now = ctx.clock().now();
  auto account = ctx.store().find_account(d.account_id);
  row(ctx, "target", ref_for(ctx.store(), d) + " on " + j["account"].get<std::string>());
  row(ctx, "status", ctx.style().status(to_string(d.status)));
  row(ctx, "due", show_time(ctx, d.due_at) + " (" + format_relative(d.due_at, now) + "; written in " + d.tz + ")");
  if (d.status == DeliveryStatus::queued && effective_due(d, account) > d.due_at)
    row(ctx, "next try", show_time(ctx, effective_due(d, account)) + " (" +
                             format_relative(effective_due(d, account), now) + ")");
  row(ctx, "attempts", std::to_string(d.attempts));
  if (!d.last_error.empty() && d.status != DeliveryStatus::published)
    row(ctx, "last error", d.last_error + " (" + d.last_error_kind + ")");
  if (d.outcome_unknown) row(ctx, "outcome", "unknown: the next attempt looks on the network before sending");
  if (d.remote_parts.size() > 1) {
    for (size_t i = 0; i < d.remote_parts.size(); ++i)
      row(ctx, i == 0 ? "published" : "", "part " + std::to_string(i + 1) + "/" +
                                               std::to_string(d.remote_parts.size()) + "  " + d.remote_parts[i].url);
  } else if (!d.remote_url.empty()) {
    row(ctx, "published", d.remote_url);
  }
  if (j.contains("metrics") && j["metrics"].is_object()) {
    const auto& m = j["metrics"];
    std::string counts = std::to_string(m["likes"].get<int64_t>()) + " likes, " +
                         std::to_string(m["reposts"].get<int64_t>()) + " reposts, " +
                         std::to_string(m["replies"].get<int64_t>()) + " replies, " +
                         std::to_string(m["quotes"].get<int64_t>()) + " quotes";
    if (m["views"].is_number()) counts += ", " + std::to_string(m["views"].get<int64_t>()) + " views";
    if (m["upvote_ratio"].is_number())
      counts +=
          ", " + std::to_string(static_cast<int>(m["upvote_ratio"].get<double>() * 100 + 0.5)) + "% upvoted";
    row(ctx, "counts",
        counts + " (" + format_relative(*parse_iso8601(m["taken_at"].get<std::string>()), now) + ")");
  }
}

int run_show(const QueueOptions& o, Context& ctx) {
  Store& store = ctx.store();
  QueueRef ref = parse_queue_ref(o.refs.at(0));
  auto deliveries = resolve_queue_ref(store, ref);
  if (ref.kind == QueueRef::Kind::schedule) {
    auto sched = *store.find_schedule(ref.id);
    auto sj = schedule_json(sched);
    if (ctx.global().json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& d : deliveries) list.push_back(delivery_json(d, account_name(ctx, d.account_id)));
      sj["deliveries"] = list;
      ctx.print_json(sj);
      return 0;
    }
    row(ctx, "schedule", ref.text + ": " + sj["description"].get<std::string>() + " in " + sched.tz);
    row(ctx, "status", sched.status + ", " + std::to_string(sched.occurrences) +
                           (sched.max_count ? " of " + std::to_string(*sched.max_count) : std::string()) + " so far");
    for (const auto& n : sj["next"]) row(ctx, "then", show_time(ctx, *parse_iso8601(n.get<std::string>())));
    for (const auto& d : deliveries)
      if (d.status == DeliveryStatus::queued)
        row(ctx, "queued", "post " + ref_for(store, d) + " at " + show_time(ctx, d.due_at));
    return 0;
  }
  auto post = store.find_post(deliveries.at(0).post_id);
  std::optional<Schedule> sched =
      deliveries[0].schedule_id ? store.find_schedule(*deliveries[0].schedule_id) : std::nullopt;
  nlohmann::json media = nlohmann::json::array();
  if (post)
    for (const auto& m : post->media) media.push_back({{"path", m.path}, {"alt", m.alt}, {"mime", m.mime}});
  auto one = [&](const Delivery& d) {
    auto j = delivery_json(d, account_name(ctx, d.account_id));
    j["ref"] = ref_for(store, d);
    j["text"] = post ? post->text : "";
    j["timezone"] = d.tz;
    j["idempotency_key"] = d.idempotency_key;
    j["images"] = media;
    j["schedule"] = sched ? schedule_json(*sched) : nlohmann::json(nullptr);
    auto options = nlohmann::json::parse(post ? post->options : "{}", nullptr, false);
    j["title"] = options.is_object() && options.contains("title") ? options["title"] : nlohmann::json(nullptr);
    j["options"] = options.is_object() && options.contains("opts") ? options["opts"] : nlohmann::json::object();
    // The newest counts crier took (crier analytics refresh), null before any.
    j["metrics"] = nullptr;
    if (auto m = store.latest_metric(d.id)) {
      auto opt = [](auto v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
      j["metrics"] = {{"taken_at", format_utc(m->taken_at)},
                      {"likes", m->likes},
                      {"reposts", m->reposts},
                      {"replies", m->replies},
                      {"quotes", m->quotes},
                      {"views", opt(m->views)},
                      {"upvote_ratio", opt(m->upvote_ratio)}};
    }
    return j;
  };
  if (ctx.global().json) {
    if (deliveries.size() == 1) {
      ctx.print_json(one(deliveries[0]));
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& d : deliveries) list.push_back(one(d));
      ctx.print_json({{"post_id", ref.id}, {"text", post ? post->text : ""}, {"deliveries", list}});
    }
    return 0;
  }
  row(ctx, "post", std::to_string(deliveries[0].post_id) +
                       (deliveries.size() > 1 ? " (to " + count_of(static_cast<long long>(deliveries.size()), "account", "accounts") + ")" : ""));
  for (const auto& d : deliveries) {
    ctx.out << '\n';
    show_delivery(ctx, d, one(d));
  }
  if (sched) {
    ctx.out << '\n';
    auto sj = schedule_json(*sched);
    row(ctx, "repeats", sj["description"].get<std::string>() + " in " + sched->tz + " (schedule s" +
                            std::to_string(sched->id) + ", " + sched->status + ")");
  }
  for (const auto& m : media) row(ctx, "image", m["path"].get<std::string>() + " alt: " + m["alt"].get<std::string>());
  auto first = one(deliveries[0]);
  if (!first["title"].is_null()) row(ctx, "title", first["title"].get<std::string>());
  for (const auto& [k, v] : first["options"].items()) row(ctx, "option", k + " = " + v.get<std::string>());
  ctx.out << '\n' << (post ? post->text : "") << '\n';
  return 0;
}

enum class Change { cancel, restore, retry };

// The deliveries a change applies to, and what it did to each.
struct Changed {
  std::vector<Delivery> done, refused;
};

std::string targets_of(Context& ctx, const std::vector<Delivery>& ds) {
  std::string who;
  for (const auto& d : ds) who += (who.empty() ? "" : ", ") + label_of(ctx, d.account_id);
  return who;
}

int run_change(const QueueOptions& o, Context& ctx, Change change) {
  Store& store = ctx.store();
  Timestamp now = ctx.clock().now();
  std::vector<QueueRef> refs;
  for (const auto& r : split_commas(o.refs)) refs.push_back(parse_queue_ref(r));
  for (const auto& r : refs) resolve_queue_ref(store, r);  // every name checked before anything changes
  nlohmann::json changed = nlohmann::json::array(), refused = nlohmann::json::array();
  int refusals = 0;
  const char* verb = change == Change::cancel ? "cancelled" : change == Change::restore ? "restored" : "queued again";
  for (QueueRef ref : refs) {
    auto deliveries = resolve_queue_ref(store, ref);
    if (change == Change::cancel && o.series && ref.kind != QueueRef::Kind::schedule) {
      if (!deliveries[0].schedule_id)
        throw Error(ErrorKind::invalid_input, "post " + ref.text + " does not repeat",
                    "leave out --series to cancel just this post");
      ref = parse_queue_ref("s" + std::to_string(*deliveries[0].schedule_id));
      deliveries = resolve_queue_ref(store, ref);
    }
    if (ref.kind == QueueRef::Kind::schedule && change != Change::retry) {
      auto sched = *store.find_schedule(ref.id);
      std::string what = schedule_rule(sched).describe();
      int n = 0;
      if (change == Change::cancel) {
        n = store.cancel_schedule(ref.id);
      } else {
        store.set_schedule_status(ref.id, "active");
        for (const auto& d : deliveries)
          if (d.status == DeliveryStatus::cancelled && d.due_at >= now && store.restore_delivery(d.id, now)) ++n;
      }
      changed.push_back(ref.text);
      if (!ctx.global().json)
        ctx.info(std::string(verb) + " schedule " + ref.text + " (" + what + ") and " +
                 count_of(n, "queued post", "queued posts") +
                 (change == Change::cancel ? "; undo: crier queue restore " + ref.text : ""));
      continue;
    }
    Changed c;
    for (const auto& d : deliveries) {
      bool ok = change == Change::cancel    ? store.cancel_delivery(d.id)
                : change == Change::restore ? store.restore_delivery(d.id, now)
                                            : store.retry_delivery(d.id, now);
      (ok ? c.done : c.refused).push_back(*store.find_delivery(d.id));
    }
    if (!c.done.empty()) changed.push_back(ref.text);
    if (ctx.global().json) {
      for (const auto& d : c.refused) refused.push_back(ref_for(store, d));
      refusals += static_cast<int>(c.refused.size());
      continue;
    }
    auto post = store.find_post(deliveries[0].post_id);
    std::string excerpt = post ? " " + quoted_excerpt(post->text) : "";
    if (!c.done.empty()) {
      std::string line = std::string(verb) + " post " + std::to_string(deliveries[0].post_id) + excerpt + " on " +
                         targets_of(ctx, c.done);
      if (change == Change::cancel)
        line += (c.done[0].schedule_id ? " (this one; --series ends its schedule)" : "") +
                std::string("; undo: crier queue restore ") + ref.text;
      if (change != Change::cancel) line += ", due " + show_time(ctx, c.done[0].due_at);
      ctx.info(line);
    }
    for (const auto& d : c.refused) {
      ++refusals;
      const char* only = change == Change::cancel    ? "only queued posts can be cancelled"
                         : change == Change::restore ? "only cancelled posts can be restored"
                                                     : "only failed or dead posts can be retried";
      ctx.err << "crier: error: post " << ref_for(store, d) << " on " << label_of(ctx, d.account_id) << " is "
              << to_string(d.status) << "; " << only << '\n';
    }
  }
  if (ctx.global().json)
    ctx.print_json({{change == Change::cancel ? "cancelled" : change == Change::restore ? "restored" : "retried", changed},
                    {"refused", refused}});
  if (refusals == 0) return exit_code::ok;
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
  std::vector<QueueRef> refs;
  for (const auto& r : split_commas(o.refs)) refs.push_back(parse_queue_ref(r));
  for (const auto& r : refs) resolve_queue_ref(store, r);
  nlohmann::json changed = nlohmann::json::array(), refused = nlohmann::json::array();
  for (const auto& ref : refs) {
    for (const auto& d : resolve_queue_ref(store, ref)) {
      Timestamp due = when ? std::max(*when, now) : now;
      if (slot) {
        auto account = store.find_account(d.account_id);
        if (!account) throw Error(ErrorKind::not_found, "the account of post " + ref.text + " is gone");
        due = next_free_slot(ctx.engine(), *account, now);
      }
      bool ok = store.reschedule_delivery(d.id, due);
      std::string name = ref_for(store, d);
      (ok ? changed : refused).push_back(name);
      if (ctx.global().json) continue;
      if (ok)
        ctx.info("post " + name + " on " + label_of(ctx, d.account_id) + " now due " + show_time(ctx, due) + " (" +
                 format_relative(due, now) + ")");
      else if (d.status == DeliveryStatus::queued)
        ctx.err << "crier: error: post " << name << " may already be scheduled on its network (the last hand-over's "
                << "outcome is unknown); crier publish --due looks first, then it can be moved\n";
      else
        ctx.err << "crier: error: post " << name << " is " << to_string(d.status)
                << "; only queued posts can be rescheduled\n";
    }
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
    c->add_option("--status", o->statuses, "only these statuses, comma-separated (queued, publishing, published, "
                                           "failed, dead, cancelled)");
    c->add_flag("--failed", o->failed, "only failed and dead posts, with their last error");
    c->add_option("--account", o->account, "only this account");
    c->add_flag("--all", o->all, "include published and cancelled posts");
    c->add_option("--limit", o->limit, "at most N rows")->check(CLI::NonNegativeNumber);
    c->add_option("--after", o->after, "only due at or after WHEN");
    c->add_option("--before", o->before, "only due at or before WHEN");
    c->add_option("--schedule", o->schedule, "only the posts of this recurring schedule (s3)");
  };
  add_filters(cmd);
  cmd->callback([o, &selected] {
    if (!selected) selected = [o](Context& c) { return run_list(*o, c); };
  });
  const char* refs = "posts: 10, 10@ACCOUNT for one account of it, s3 for a schedule (comma-separated or repeated)";
  auto* list = cmd->add_subcommand("list", "list what is queued (default: what is not yet published)");
  add_filters(list);
  list->callback([o, &selected] { selected = [o](Context& c) { return run_list(*o, c); }; });
  auto* show = cmd->add_subcommand("show", "one post (10, 10@ACCOUNT) or schedule (s3) in full");
  show->add_option("ref", o->refs, "10, 10@ACCOUNT or s3")->required()->expected(1);
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });
  auto* cancel = cmd->add_subcommand("cancel", "cancel queued posts or a schedule (undo with restore)");
  cancel->add_option("refs", o->refs, refs)->required();
  cancel->add_flag("--series", o->series, "for a recurring post: end its schedule and cancel its queued posts");
  cancel->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, Change::cancel); }; });
  auto* restore = cmd->add_subcommand("restore", "undo a cancel: queue cancelled posts (or a schedule) again");
  restore->add_option("refs", o->refs, refs)->required();
  restore->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, Change::restore); }; });
  auto* retry = cmd->add_subcommand("retry", "queue failed or dead posts again, due now");
  retry->add_option("refs", o->refs, refs)->required();
  retry->callback([o, &selected] { selected = [o](Context& c) { return run_change(*o, c, Change::retry); }; });
  auto* reschedule = cmd->add_subcommand("reschedule", "move queued posts to another time (--at WHEN or next-slot)");
  reschedule->add_option("refs", o->refs, refs)->required();
  reschedule->add_option("--at", o->at, "the new time, as for schedule --at; next-slot for the next free slot")->required();
  reschedule->callback([o, &selected] { selected = [o](Context& c) { return run_reschedule(*o, c); }; });
}

}  // namespace crier
