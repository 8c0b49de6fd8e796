// Time source. Everything that asks "what time is it" goes through a Clock so tests (and the
// demo) can pin it. CRIER_NOW (an ISO 8601 UTC time) pins the clock of the real binary.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace crier {

using Timestamp = std::chrono::sys_seconds;

using PreciseTimestamp = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
  // Now with milliseconds, for timestamps written into records (a pinned clock: its second).
  virtual PreciseTimestamp now_precise() const { return now(); }
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
  PreciseTimestamp now_precise() const override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(Timestamp t) : m_now(t) {}
  Timestamp now() const override { return m_now; }
  void set(Timestamp t) { m_now = t; }
  void advance(std::chrono::seconds s) { m_now += s; }

 private:
  Timestamp m_now;
};

// The clock for this process: fixed at CRIER_NOW when that is set, else the system clock.
// Throws Error(config) when CRIER_NOW is not a valid time.
std::unique_ptr<Clock> clock_from_environment();

// "2026-12-01T09:00:00Z".
std::string format_utc(Timestamp t);
// "2026-12-01T09:00:00.123Z".
std::string format_utc_ms(PreciseTimestamp t);
// Parses "2026-12-01T09:00:00Z" / "+01:00" offsets / fractional seconds; nullopt when invalid.
std::optional<Timestamp> parse_iso8601(std::string_view text);

inline Timestamp from_unix(long long s) { return Timestamp{std::chrono::seconds{s}}; }
inline long long to_unix(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace crier
