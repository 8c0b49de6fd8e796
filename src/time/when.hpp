// Reading and showing times: --at WHEN, --since DURATION, and the configured time zone.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "clock.hpp"

#include <optional>

#include <date/date.h>

namespace date {
class time_zone;
}

namespace crier {

// The IANA zone `name`, or the system's zone when empty. Throws Error(config) when unknown.
const date::time_zone* resolve_time_zone(const std::string& name);

// Parses WHEN relative to `now`, reading local times in `tz`:
//   2026-12-01T09:00:00Z, 2026-12-01T09:00+01:00   (ISO 8601 with offset)
//   2026-12-01 09:00, 2026-12-01T09:00             (local, in tz)
//   now, in 2h, in 90m, in 1h30m, in 3 days, +45m
//   today 18:00, tomorrow 9am, tomorrow 21:30, mon 10:00, friday 9:15pm, 14:00
// Throws Error(invalid_input) when not understood, and for a local time that falls in a DST gap
// (does not exist) or a DST overlap (happens twice) — never shifted silently.
Timestamp parse_when(std::string_view text, Timestamp now, const date::time_zone* tz);

// An end: as parse_when, and a date alone (2027-03-31) means the end of that day in tz, the
// last second before the next day begins - what "--until 2027-03-31" says.
Timestamp parse_until(std::string_view text, Timestamp now, const date::time_zone* tz);

// "30d", "12h", "2w", "90m", "45s" → seconds. Throws Error(invalid_input).
std::chrono::seconds parse_duration(std::string_view text);

// "9am", "9:30pm", "09:00", "21:15:30", "noon", "midnight" (lowercase) → time of day.
std::optional<std::chrono::seconds> parse_time_of_day(const std::string& text);
// "mon", "monday", "mons" (lowercase) → weekday.
std::optional<date::weekday> parse_weekday(const std::string& text);

// "2026-12-01 09:00 CET" in tz.
std::string format_local(Timestamp t, const date::time_zone* tz);
// "in 2h 5m" / "3m ago" relative to now.
std::string format_relative(Timestamp t, Timestamp now);

}  // namespace crier
