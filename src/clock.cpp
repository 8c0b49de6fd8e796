#include "clock.hpp"

#include <cstdlib>
#include <regex>

#include <date/date.h>

#include "error.hpp"

namespace crier {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

PreciseTimestamp SystemClock::now_precise() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::unique_ptr<Clock> clock_from_environment() {
  const char* pinned = std::getenv("CRIER_NOW");
  if (pinned == nullptr || *pinned == '\0') return std::make_unique<SystemClock>();
  auto t = parse_iso8601(pinned);
  if (!t)
    throw Error(ErrorKind::config, std::string("CRIER_NOW is not a valid time: '") + pinned + "'",
                "use ISO 8601 in UTC, e.g. CRIER_NOW=2026-12-01T09:00:00Z, or unset it");
  return std::make_unique<FixedClock>(*t);
}

std::string format_utc(Timestamp t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

std::string format_utc_ms(PreciseTimestamp t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

std::optional<Timestamp> parse_iso8601(std::string_view text) {
  // date (T or space) time [.fraction] (Z | ±hh:mm | ±hhmm)
  static const std::regex k_pattern(
      R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(text.begin(), text.end(), m, k_pattern)) return std::nullopt;
  auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  date::year_month_day ymd{date::year{num(1)}, date::month{unsigned(num(2))},
                           date::day{unsigned(num(3))}};
  if (!ymd.ok() || num(4) > 23 || num(5) > 59 || num(6) > 60) return std::nullopt;
  auto t = Timestamp{date::sys_days{ymd}} + std::chrono::hours{num(4)} +
           std::chrono::minutes{num(5)} + std::chrono::seconds{num(6)};
  std::string zone = m[7].str();
  if (zone != "Z" && zone != "z") {
    int sign = zone[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : zone.substr(1))
      if (c != ':') digits += c;
    int hh = std::stoi(digits.substr(0, 2));
    int mm = std::stoi(digits.substr(2, 2));
    if (hh > 23 || mm > 59) return std::nullopt;
    t -= sign * (std::chrono::hours{hh} + std::chrono::minutes{mm});
  }
  return t;
}

}  // namespace crier
