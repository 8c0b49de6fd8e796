#include "time/when.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <regex>

#include <date/tz.h>

#include "error.hpp"

namespace crier {
namespace {

using namespace std::chrono;

// Nothing is scheduled further ahead than this; a longer duration is a mistake.
constexpr seconds k_max_ahead = days{366 * 100};

const char* k_examples =
    "examples: '2026-12-01 09:00', '2026-12-01T09:00:00Z', 'in 2h', 'tomorrow 9am', 'mon 10:00'";

Error not_understood(std::string_view text) {
  return Error(ErrorKind::invalid_input, "cannot read the time '" + std::string(text) + "'",
               k_examples);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // collapse runs of spaces
  out.erase(std::unique(out.begin(), out.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
            out.end());
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out;
}

Timestamp local_to_utc(date::local_seconds local, const date::time_zone* tz, std::string_view text) {
  try {
    return tz->to_sys(local);
  } catch (const date::nonexistent_local_time&) {
    throw Error(ErrorKind::invalid_input,
                "'" + std::string(text) + "' does not exist in " + std::string(tz->name()) +
                    " (the clocks skip it for daylight saving time)",
                "choose a time outside the gap, or give an explicit offset such as +01:00");
  } catch (const date::ambiguous_local_time&) {
    throw Error(ErrorKind::invalid_input,
                "'" + std::string(text) + "' happens twice in " + std::string(tz->name()) +
                    " (the clocks go back for daylight saving time)",
                "give an explicit offset, e.g. 2026-10-25T02:30+02:00 or +01:00");
  }
}

std::optional<seconds> parse_relative(const std::string& s) {
  // "2h", "1h30m", "90 minutes", "3 days", "1w"
  static const std::regex k_part(R"((\d+)\s*(seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|w)\s*)");
  seconds total{0};
  size_t pos = 0;
  auto begin = s.cbegin();
  std::smatch m;
  while (pos < s.size()) {
    if (!std::regex_search(begin + static_cast<long>(pos), s.cend(), m, k_part,
                           std::regex_constants::match_continuous))
      return std::nullopt;
    // Every number a user gives is range-checked: "in 99999999999999h" is a typo, not 2058.
    if (m[1].length() > 7) return std::nullopt;
    long long n = std::stoll(m[1].str());
    char u = m[2].str()[0];
    if (u == 's') total += seconds{n};
    if (u == 'm') total += minutes{n};
    if (u == 'h') total += hours{n};
    if (u == 'd') total += days{n};
    if (u == 'w') total += weeks{n};
    pos += static_cast<size_t>(m.length(0));
    if (total > k_max_ahead) return std::nullopt;
  }
  return pos == 0 ? std::nullopt : std::optional<seconds>(total);
}

}  // namespace

// "9am", "9:30pm", "09:00", "21:15:30", "noon", "midnight" → time of day.
std::optional<seconds> parse_time_of_day(const std::string& s) {
  if (s == "noon") return hours{12};
  if (s == "midnight") return hours{0};
  static const std::regex k_tod(R"(^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?$)");
  std::smatch m;
  if (!std::regex_match(s, m, k_tod)) return std::nullopt;
  int h = std::stoi(m[1].str());
  int min = m[2].matched ? std::stoi(m[2].str()) : 0;
  int sec = m[3].matched ? std::stoi(m[3].str()) : 0;
  if (!m[2].matched && !m[4].matched) return std::nullopt;  // a bare "9" is not a time
  if (m[4].matched) {
    if (h < 1 || h > 12) return std::nullopt;
    if (h == 12) h = 0;
    if (m[4].str() == "pm") h += 12;
  }
  if (h > 23 || min > 59 || sec > 59) return std::nullopt;
  return hours{h} + minutes{min} + seconds{sec};
}

std::optional<date::weekday> parse_weekday(const std::string& s) {
  static const std::array<const char*, 7> k_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  static const std::array<const char*, 7> k_long{"sunday",   "monday", "tuesday", "wednesday",
                                                 "thursday", "friday", "saturday"};
  for (unsigned i = 0; i < 7; ++i)
    if (s == k_names[i] || s == k_long[i] || (s.size() == 4 && s.rfind(k_names[i], 0) == 0 && s[3] == 's'))
      return date::weekday{i};
  return std::nullopt;
}

const date::time_zone* resolve_time_zone(const std::string& name) {
  try {
    return name.empty() ? date::current_zone() : date::locate_zone(name);
  } catch (const std::exception&) {
    if (name.empty()) return date::locate_zone("UTC");
    throw Error(ErrorKind::config, "unknown time zone '" + name + "'",
                "use an IANA name such as Europe/Berlin or America/New_York: crier config set "
                "general.timezone NAME");
  }
}

namespace {
Timestamp parse_when_unchecked(std::string_view text, Timestamp now, const date::time_zone* tz);
}  // namespace

Timestamp parse_when(std::string_view text, Timestamp now, const date::time_zone* tz) {
  Timestamp t = parse_when_unchecked(text, now, tz);
  if (t > now + k_max_ahead || t < from_unix(0))
    throw Error(ErrorKind::invalid_input, "'" + std::string(text) + "' is out of range",
                "give a time within the next hundred years");
  return t;
}

namespace {
Timestamp parse_when_unchecked(std::string_view text, Timestamp now, const date::time_zone* tz) {
  std::string s = lower(text);
  if (s.empty()) throw not_understood(text);
  if (s == "now") return now;
  if (auto t = parse_iso8601(text)) return *t;

  // Local date and time: 2026-12-01 09:00[:00] or 2026-12-01T09:00
  static const std::regex k_local(R"(^(\d{4})-(\d{2})-(\d{2})[t ](.+)$)");
  std::smatch m;
  if (std::regex_match(s, m, k_local)) {
    date::year_month_day ymd{date::year{std::stoi(m[1].str())},
                             date::month{static_cast<unsigned>(std::stoi(m[2].str()))},
                             date::day{static_cast<unsigned>(std::stoi(m[3].str()))}};
    auto tod = parse_time_of_day(m[4].str());
    if (!ymd.ok() || !tod) throw not_understood(text);
    return local_to_utc(date::local_days{ymd} + *tod, tz, text);
  }
  if (std::regex_match(s, std::regex(R"(^\d{4}-\d{2}-\d{2}$)")))
    throw Error(ErrorKind::invalid_input, "'" + std::string(text) + "' has no time of day",
                "add one, e.g. '" + std::string(text) + " 09:00'");

  // Relative: "in 2h", "+2h"
  for (const char* prefix : {"in ", "+"}) {
    if (s.rfind(prefix, 0) == 0) {
      if (auto d = parse_relative(s.substr(std::string_view(prefix).size()))) return now + *d;
      throw not_understood(text);
    }
  }

  // [today|tomorrow|weekday] TIME, or TIME alone (the next time the clock shows it).
  auto local_now = tz->to_local(now);
  auto today = date::floor<days>(local_now);
  auto space = s.find(' ');
  std::string day_word = space == std::string::npos ? "" : s.substr(0, space);
  std::string time_word = space == std::string::npos ? s : s.substr(space + 1);
  if (day_word.empty() && parse_weekday(s)) {
    throw Error(ErrorKind::invalid_input, "'" + std::string(text) + "' has no time of day",
                "add one, e.g. '" + std::string(text) + " 10:00'");
  }
  auto tod = parse_time_of_day(time_word);
  if (!tod) throw not_understood(text);
  if (day_word.empty()) {
    auto candidate = today + *tod;
    if (local_to_utc(candidate, tz, text) <= now) candidate += days{1};
    return local_to_utc(candidate, tz, text);
  }
  if (day_word == "today") return local_to_utc(today + *tod, tz, text);
  if (day_word == "tomorrow") return local_to_utc(today + days{1} + *tod, tz, text);
  if (auto wd = parse_weekday(day_word)) {
    // The next such weekday at that time; today when that time is still ahead.
    auto day = today;
    for (int i = 0; i < 8; ++i, day += days{1}) {
      if (date::weekday{day} != *wd) continue;
      auto t = local_to_utc(day + *tod, tz, text);
      if (t > now) return t;
    }
  }
  throw not_understood(text);
}
}  // namespace

Timestamp parse_until(std::string_view text, Timestamp now, const date::time_zone* tz) {
  static const std::regex k_date(R"(^\s*(\d{4})-(\d{2})-(\d{2})\s*$)");
  std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, k_date)) return parse_when(text, now, tz);
  date::year_month_day ymd{date::year{std::stoi(m[1].str())}, date::month{static_cast<unsigned>(std::stoi(m[2].str()))},
                           date::day{static_cast<unsigned>(std::stoi(m[3].str()))}};
  if (!ymd.ok()) throw not_understood(text);
  // The next day's first moment, less a second: midnight may not exist (or happen twice) in a
  // zone that changes its clocks at midnight, so ask the zone for the earliest instant.
  // (For a local time the clocks skip, date's to_sys with a choice gives the transition.)
  date::local_days next = date::local_days{ymd} + days{1};
  Timestamp t = tz->to_sys(next, date::choose::earliest) - seconds{1};
  if (t > now + k_max_ahead || t < from_unix(0))
    throw Error(ErrorKind::invalid_input, "'" + s + "' is out of range", "give a date within the next hundred years");
  return t;
}

seconds parse_duration(std::string_view text) {
  if (text.size() > 64) throw Error(ErrorKind::invalid_input, "cannot read the duration: it is too long");
  auto d = parse_relative(lower(text));
  if (!d || d->count() <= 0)
    throw Error(ErrorKind::invalid_input, "cannot read the duration '" + std::string(text) + "'",
                "examples: 30d, 12h, 2w, 90m");
  return *d;
}

std::string format_local(Timestamp t, const date::time_zone* tz) {
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(tz, t));
}

std::string format_relative(Timestamp t, Timestamp now) {
  auto d = t - now;
  bool future = d.count() >= 0;
  auto a = future ? d : -d;
  auto day = duration_cast<days>(a);
  auto hr = duration_cast<hours>(a - day);
  auto mn = duration_cast<minutes>(a - day - hr);
  std::string s;
  if (day.count() > 0) s = std::to_string(day.count()) + "d " + std::to_string(hr.count()) + "h";
  else if (hr.count() > 0) s = std::to_string(hr.count()) + "h " + std::to_string(mn.count()) + "m";
  else if (mn.count() > 0) s = std::to_string(mn.count()) + "m";
  else if (a.count() > 0) s = std::to_string(duration_cast<seconds>(a).count()) + "s";
  else return "now";
  return future ? "in " + s : s + " ago";
}

}  // namespace crier
