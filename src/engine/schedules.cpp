#include "engine/schedules.hpp"

#include <algorithm>
#include <set>

#include <date/tz.h>

#include "error.hpp"
#include "log.hpp"
#include "media/media.hpp"
#include "store/store.hpp"
#include "time/recurrence.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

std::vector<Delivery> deliveries_at(Engine& engine, const std::vector<int64_t>& account_ids, Timestamp at,
                                    const std::string& tz) {
  std::vector<Delivery> out;
  for (int64_t id : account_ids) {
    Delivery d;
    d.account_id = id;
    d.due_at = at;
    d.tz = tz;
    d.idempotency_key = new_idempotency_key();
    d.created_at = engine.clock.now();
    out.push_back(d);
  }
  return out;
}

}  // namespace

Recurrence schedule_rule(const Schedule& c) {
  Recurrence r = parse_recurrence(c.rule);
  if (c.until && (!r.until || *c.until < *r.until)) r.until = c.until;
  return r;
}

std::vector<Timestamp> upcoming_occurrences(const Schedule& c, int n) {
  std::vector<Timestamp> out;
  if (c.status != "active" || !c.last_occurrence_at) return out;
  Recurrence r = schedule_rule(c);
  const date::time_zone* tz = resolve_time_zone(c.tz);
  Timestamp after = *c.last_occurrence_at;
  for (int i = c.occurrences; i < c.max_count.value_or(1 << 30) && static_cast<int>(out.size()) < n; ++i) {
    auto t = next_occurrence(r, c.starts_at, tz, after);
    if (!t) break;
    out.push_back(*t);
    after = *t;
  }
  return out;
}

RecurringPlan schedule_recurring(Engine& engine, PostPlan& plan, const RecurringRequest& q) {
  Recurrence rule = parse_recurrence(q.rule);
  RecurringPlan out;
  Schedule& c = out.schedule;
  c.rule = q.rule;
  c.tz = std::string(q.tz->name());
  c.starts_at = q.start;
  c.until = q.until ? q.until : rule.until;
  c.max_count = q.count ? q.count : rule.count;
  if (c.max_count && *c.max_count < 1)
    throw Error(ErrorKind::invalid_input, "--count must be at least 1");
  c.created_at = engine.clock.now();
  for (const auto& t : plan.targets) c.account_ids.push_back(t.account.id);
  auto first = next_occurrence(schedule_rule(c), q.start, q.tz, q.start - std::chrono::seconds{1});
  if (!first)
    throw Error(ErrorKind::invalid_input, "the rule '" + q.rule + "' has no occurrence after " +
                                              format_local(q.start, q.tz) +
                                              (c.until ? " and before " + format_local(*c.until, q.tz) : ""),
                "check --at and --until");
  out.first_at = *first;
  for (auto& m : plan.post.media) m = keep_media_copy(m, engine.data_dir / "media");
  out.first = deliveries_at(engine, c.account_ids, *first, c.tz);
  engine.store.add_schedule(plan.post, c, *first, out.first, c.max_count && *c.max_count <= 1);
  return out;
}

int extend_schedules(Engine& engine, Timestamp now) {
  int added = 0;
  for (const Schedule& c : engine.store.list_schedules({"active"})) {
    if (!c.last_occurrence_at || *c.last_occurrence_at > now) continue;
    try {
      if (c.max_count && c.occurrences >= *c.max_count) {
        engine.store.set_schedule_status(c.id, "ended");
        continue;
      }
      const date::time_zone* tz = resolve_time_zone(c.tz);
      auto next = next_occurrence(schedule_rule(c), c.starts_at, tz, std::max(*c.last_occurrence_at, now));
      std::vector<int64_t> accounts;
      for (int64_t id : c.account_ids)
        if (engine.store.find_account(id)) accounts.push_back(id);
      if (!next || accounts.empty()) {
        engine.store.set_schedule_status(c.id, "ended");
        continue;
      }
      auto deliveries = deliveries_at(engine, accounts, *next, c.tz);
      bool ends = c.max_count && c.occurrences + 1 >= *c.max_count;
      if (engine.store.add_occurrence(c.id, c.last_occurrence_at, *next, deliveries, ends)) ++added;
    } catch (const Error& e) {
      // A schedule that cannot be expanded (e.g. its zone vanished from the tz database) must
      // not stop the queue: it is said, and left for the user.
      spdlog::warn("schedule {}: {}", c.id, e.what());
    }
  }
  return added;
}

Timestamp next_free_slot(Engine& engine, const Account& account, Timestamp now) {
  auto slots = engine.store.slots(account.id);
  if (!slots)
    throw Error(ErrorKind::invalid_input, account.name() + " has no posting slots",
                "set some: crier slots set " + account.name() + " \"mon-fri 09:00,13:00\"");
  Recurrence rule = parse_recurrence(slots->rule);
  const date::time_zone* tz = resolve_time_zone(slots->tz);
  DeliveryFilter f;
  f.account_id = account.id;
  f.statuses = {DeliveryStatus::queued, DeliveryStatus::publishing, DeliveryStatus::published};
  f.due_from = now - std::chrono::minutes{1};
  std::set<long long> taken;  // minutes
  for (const auto& d : engine.store.list_deliveries(f)) taken.insert(to_unix(d.due_at) / 60);
  Timestamp after = now;
  for (int i = 0; i < 10000; ++i) {
    auto t = next_occurrence(rule, slots->updated_at - std::chrono::hours{24 * 366}, tz, after);
    if (!t) break;
    if (!taken.count(to_unix(*t) / 60)) return *t;
    after = *t;
  }
  throw Error(ErrorKind::invalid_input, "no free slot ahead for " + account.name(),
              "add slots: crier slots set " + account.name() + " RULE");
}

}  // namespace crier
