// Recurring posts and posting slots. A schedule keeps its next occurrence in the queue: when
// that one comes due, the one after it is added (so `queue list` shows what comes next, and an
// idle cron run still only reads). Occurrences missed while crier was not running are not made
// up for: a late run publishes the pending one once, late, and moves on to the next in the
// future — never a burst of the same post.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/composer.hpp"
#include "engine/engine.hpp"
#include "store/types.hpp"
#include "time/recurrence.hpp"

namespace date {
class time_zone;
}

namespace crier {

struct RecurringRequest {
  std::string rule;                // --every: readable or RRULE
  Timestamp start{};               // --at, or now
  std::optional<Timestamp> until;  // --until
  std::optional<int> count;        // --count
  const date::time_zone* tz = nullptr;
};

struct RecurringPlan {
  Schedule schedule;
  std::vector<Delivery> first;  // the first occurrence's deliveries
  Timestamp first_at{};
};

// Checks the rule and stores the schedule with its first occurrence. Throws
// Error(invalid_input) for a rule not understood or one with no occurrence ahead.
RecurringPlan schedule_recurring(Engine& engine, PostPlan& plan, const RecurringRequest& request);

// The schedule's rule with its --until applied.
Recurrence schedule_rule(const Schedule& schedule);
// The next `n` occurrences an active schedule will add after its latest, within its count and
// until; empty for an ended or cancelled one.
std::vector<Timestamp> upcoming_occurrences(const Schedule& schedule, int n);

// Adds the next occurrence of every active schedule whose latest one is due at `now`, and ends
// the schedules with none left. Safe with several processes at once. Returns how many were added.
int extend_schedules(Engine& engine, Timestamp now);

// The first of the account's slots after `now` that no queued, publishing or published delivery
// of that account already takes. Throws Error(invalid_input) when the account has no slots.
Timestamp next_free_slot(Engine& engine, const Account& account, Timestamp now);

}  // namespace crier
