#include <catch2/catch.hpp>

#include <date/tz.h>

#include "error.hpp"
#include "time/when.hpp"

using namespace crier;

namespace {
Timestamp utc(const char* iso) { return *parse_iso8601(iso); }
std::string when(const char* text, const char* now, const char* zone) {
  return format_utc(parse_when(text, utc(now), resolve_time_zone(zone)));
}
}  // namespace

TEST_CASE("ISO 8601 with Z or an offset", "[when]") {
  CHECK(when("2026-12-01T09:00:00Z", "2026-11-22T10:00:00Z", "UTC") == "2026-12-01T09:00:00Z");
  CHECK(when("2026-12-01T09:00:00+01:00", "2026-11-22T10:00:00Z", "UTC") == "2026-12-01T08:00:00Z");
  CHECK(when("2026-12-01T09:00-0530", "2026-11-22T10:00:00Z", "UTC") == "2026-12-01T14:30:00Z");
  CHECK(when("2026-12-01T09:00:00.250Z", "2026-11-22T10:00:00Z", "UTC") == "2026-12-01T09:00:00Z");
}

TEST_CASE("local times are read in the configured zone", "[when]") {
  CHECK(when("2026-12-01 09:00", "2026-11-22T10:00:00Z", "Europe/Berlin") == "2026-12-01T08:00:00Z");
  CHECK(when("2026-07-01 09:00", "2026-06-22T10:00:00Z", "Europe/Berlin") == "2026-07-01T07:00:00Z");
  CHECK(when("2026-12-01T09:00", "2026-11-22T10:00:00Z", "America/New_York") == "2026-12-01T14:00:00Z");
  CHECK(when("2026-12-01 09:00", "2026-11-22T10:00:00Z", "Asia/Kolkata") == "2026-12-01T03:30:00Z");
  // Lord Howe moves its clocks by 30 minutes: +10:30 in winter, +11:00 in summer.
  CHECK(when("2026-07-01 09:00", "2026-06-22T10:00:00Z", "Australia/Lord_Howe") == "2026-06-30T22:30:00Z");
  CHECK(when("2026-12-01 09:00", "2026-11-22T10:00:00Z", "Australia/Lord_Howe") == "2026-11-30T22:00:00Z");
}

TEST_CASE("relative times", "[when]") {
  CHECK(when("now", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T10:00:00Z");
  CHECK(when("in 2h", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T12:00:00Z");
  CHECK(when("in 90m", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T11:30:00Z");
  CHECK(when("in 1h30m", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T11:30:00Z");
  CHECK(when("in 3 days", "2026-11-22T10:00:00Z", "UTC") == "2026-11-25T10:00:00Z");
  CHECK(when("+45m", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T10:45:00Z");
  CHECK(when("In 2 Hours", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T12:00:00Z");
}

TEST_CASE("today, tomorrow, weekdays and bare times", "[when]") {
  // 2026-11-22 is a Sunday.
  CHECK(when("tomorrow 9am", "2026-11-22T10:00:00Z", "UTC") == "2026-11-23T09:00:00Z");
  CHECK(when("tomorrow 21:30", "2026-11-22T10:00:00Z", "UTC") == "2026-11-23T21:30:00Z");
  CHECK(when("today 6pm", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T18:00:00Z");
  CHECK(when("tomorrow 12am", "2026-11-22T10:00:00Z", "UTC") == "2026-11-23T00:00:00Z");
  CHECK(when("mon 10:00", "2026-11-22T10:00:00Z", "UTC") == "2026-11-23T10:00:00Z");
  CHECK(when("sunday 11:00", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T11:00:00Z");
  CHECK(when("sunday 09:00", "2026-11-22T10:00:00Z", "UTC") == "2026-11-29T09:00:00Z");
  CHECK(when("14:00", "2026-11-22T10:00:00Z", "UTC") == "2026-11-22T14:00:00Z");
  CHECK(when("09:00", "2026-11-22T10:00:00Z", "UTC") == "2026-11-23T09:00:00Z");
  // "tomorrow" is the zone's tomorrow: at 23:30 UTC it is already Monday in Berlin.
  CHECK(when("tomorrow 9am", "2026-11-22T23:30:00Z", "Europe/Berlin") == "2026-11-24T08:00:00Z");
}

TEST_CASE("a local time in a DST gap or overlap is an error, never a silent shift", "[when]") {
  // Europe/Berlin: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00.
  CHECK_THROWS_WITH(parse_when("2026-03-29 02:30", utc("2026-03-01T00:00:00Z"), resolve_time_zone("Europe/Berlin")),
                    Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(parse_when("2026-10-25 02:30", utc("2026-10-01T00:00:00Z"), resolve_time_zone("Europe/Berlin")),
                    Catch::Contains("happens twice"));
  // America/New_York: 2026-03-08 02:00 -> 03:00.
  CHECK_THROWS_AS(parse_when("2026-03-08 02:15", utc("2026-03-01T00:00:00Z"), resolve_time_zone("America/New_York")),
                  Error);
  // Lord Howe: 2026-10-04 02:00 -> 02:30, a 30-minute gap.
  CHECK_THROWS_AS(parse_when("2026-10-04 02:15", utc("2026-10-01T00:00:00Z"), resolve_time_zone("Australia/Lord_Howe")),
                  Error);
  CHECK(when("2026-10-04 02:45", "2026-10-01T00:00:00Z", "Australia/Lord_Howe") == "2026-10-03T15:45:00Z");
  // An explicit offset settles an ambiguous time.
  CHECK(when("2026-10-25T02:30+01:00", "2026-10-01T00:00:00Z", "Europe/Berlin") == "2026-10-25T01:30:00Z");
}

TEST_CASE("what cannot be read is an invalid_input error with examples", "[when]") {
  for (const char* bad : {"", "soon", "2026-13-01 09:00", "2026-12-01", "tomorrow", "mon", "in", "in 2 fortnights",
                          "25:00", "tomorrow 13pm", "2026-02-30 10:00"}) {
    INFO(bad);
    try {
      parse_when(bad, utc("2026-11-22T10:00:00Z"), resolve_time_zone("UTC"));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK_FALSE(e.hint().empty());
    }
  }
}

TEST_CASE("durations and zones", "[when]") {
  CHECK(parse_duration("30d") == std::chrono::hours{24 * 30});
  CHECK(parse_duration("12h") == std::chrono::hours{12});
  CHECK(parse_duration("2w") == std::chrono::hours{24 * 14});
  CHECK_THROWS_AS(parse_duration("0d"), Error);
  CHECK_THROWS_AS(parse_duration("lots"), Error);
  CHECK_THROWS_AS(resolve_time_zone("Mars/Olympus_Mons"), Error);
  CHECK(format_local(utc("2026-12-01T08:00:00Z"), resolve_time_zone("Europe/Berlin")) == "2026-12-01 09:00 CET");
  CHECK(format_relative(utc("2026-11-22T12:05:00Z"), utc("2026-11-22T10:00:00Z")) == "in 2h 5m");
  CHECK(format_relative(utc("2026-11-22T09:57:00Z"), utc("2026-11-22T10:00:00Z")) == "3m ago");
}

TEST_CASE("parse_iso8601 rejects impossible dates", "[when]") {
  CHECK_FALSE(parse_iso8601("2026-02-30T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2026-12-01T24:00:00Z"));
  CHECK_FALSE(parse_iso8601("2026-12-01 09:00"));  // no zone: not ISO with offset
  CHECK(format_utc(*parse_iso8601("2026-12-01 09:00Z")) == "2026-12-01T09:00:00Z");
}

TEST_CASE("until: a date alone means the end of that day, in the zone", "[when]") {
  auto* berlin = date::locate_zone("Europe/Berlin");
  Timestamp now = *parse_iso8601("2026-12-01T10:00:00Z");
  CHECK(format_utc(parse_until("2027-03-31", now, berlin)) == "2027-03-31T21:59:59Z");  // CEST
  CHECK(format_utc(parse_until("2026-12-24", now, berlin)) == "2026-12-24T22:59:59Z");  // CET
  CHECK(format_utc(parse_until("2027-03-31 09:00", now, berlin)) == "2027-03-31T07:00:00Z");
  // A zone whose clocks skip midnight (Santiago, 2026-09-06): the day ends at the jump.
  auto* santiago = date::locate_zone("America/Santiago");
  CHECK(format_utc(parse_until("2026-09-05", now - std::chrono::hours{24 * 120}, santiago)) == "2026-09-06T03:59:59Z");
  CHECK_THROWS_AS(parse_until("2027-02-30", now, berlin), Error);
}
