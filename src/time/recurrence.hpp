// Recurring times: the readable rules of --every and `slots set` ("daily 09:00",
// "mon,wed,fri 18:30", "mon-fri 09:00,13:00", "weekly", "monthly 1st", "monthly last fri
// 17:00", "every 2 weeks") and RFC 5545 RRULEs for the rest, expanded in a time zone so that
// 09:00 stays 09:00 across daylight saving changes.
//
// DST, as RFC 5545 section 3.3.10 says: an occurrence whose local time does not exist (the
// clocks skip it) is moved later by the length of the gap (02:30 → 03:30); one whose local time
// happens twice takes the first (earlier) of the two.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clock.hpp"

namespace date {
class time_zone;
}

namespace crier {

struct Recurrence {
  enum class Freq { daily, weekly, monthly, yearly };
  Freq freq = Freq::daily;
  int interval = 1;
  // BYDAY: (ordinal, weekday 0=Sunday..6=Saturday); ordinal 0 = every such day, 1 = first,
  // -1 = last (in the month, for monthly and yearly rules).
  std::vector<std::pair<int, unsigned>> by_day;
  std::vector<int> by_month_day;  // 1..31 or -1..-31 (from the end of the month)
  std::vector<unsigned> by_month;  // 1..12
  // Times of day as minutes after midnight, sorted; empty = the start's time of day.
  std::vector<int> times;
  std::optional<int> count;         // RRULE COUNT
  std::optional<Timestamp> until;   // RRULE UNTIL

  // The rule as an RFC 5545 RRULE (times as BYHOUR/BYMINUTE when they form a grid; explicit
  // times that do not are kept in crier's own X-CRIER-TIMES part).
  std::string to_rrule() const;
  // "daily at 09:00", "Mon, Wed and Fri at 18:30", ... for listings.
  std::string describe() const;
};

// Reads a readable rule or an RRULE ("FREQ=WEEKLY;BYDAY=MO", with or without "RRULE:").
// Throws Error(invalid_input) naming what was not understood, with examples.
Recurrence parse_recurrence(std::string_view text);

// The first occurrence strictly after `after`, not before `start` (whose local time of day is
// used when the rule gives none), and not after `until`. nullopt when there is none within
// the next 20 years.
std::optional<Timestamp> next_occurrence(const Recurrence& rule, Timestamp start, const date::time_zone* tz,
                                         Timestamp after);

}  // namespace crier
