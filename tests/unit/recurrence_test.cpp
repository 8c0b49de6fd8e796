// Recurring rules: the readable language, RRULEs, and expansion across DST changes in zones
// with one-hour, half-hour and no daylight saving.
#include <catch2/catch.hpp>

#include <date/tz.h>

#include "error.hpp"
#include "time/recurrence.hpp"

using namespace crier;

namespace {
Timestamp utc(const char* iso) { return *parse_iso8601(iso); }

// The first n occurrences after `after`, as UTC ISO strings.
std::vector<std::string> expand(const std::string& rule, const char* start, const char* zone, int n,
                                const char* after = nullptr) {
  Recurrence r = parse_recurrence(rule);
  const date::time_zone* tz = date::locate_zone(zone);
  std::vector<std::string> out;
  Timestamp t = after ? utc(after) : utc(start) - std::chrono::seconds{1};
  for (int i = 0; i < n; ++i) {
    auto next = next_occurrence(r, utc(start), tz, t);
    if (!next) break;
    out.push_back(format_utc(*next));
    t = *next;
  }
  return out;
}
}  // namespace

TEST_CASE("recurrence: daily 09:00 stays 09:00 local across DST in Berlin and New York", "[recurrence][dst]") {
  // Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
  CHECK(expand("daily 09:00", "2026-03-27T12:00:00Z", "Europe/Berlin", 4) ==
        std::vector<std::string>{"2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z",
                                 "2026-03-31T07:00:00Z"});
  CHECK(expand("daily 09:00", "2026-10-24T00:00:00Z", "Europe/Berlin", 2) ==
        std::vector<std::string>{"2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z"});
  // America/New_York: 2026-03-08 and 2026-11-01.
  CHECK(expand("daily 9am", "2026-03-07T00:00:00Z", "America/New_York", 2) ==
        std::vector<std::string>{"2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"});
  CHECK(expand("daily 9am", "2026-10-31T00:00:00Z", "America/New_York", 2) ==
        std::vector<std::string>{"2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z"});
}

TEST_CASE("recurrence: a time the clocks skip moves later by the gap, a doubled time takes the first", "[recurrence][dst]") {
  // Berlin 02:30 does not exist on 2026-03-29: 03:30 CEST (01:30Z).
  CHECK(expand("daily 02:30", "2026-03-28T00:00:00Z", "Europe/Berlin", 2) ==
        std::vector<std::string>{"2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z"});
  // Berlin 02:30 happens twice on 2026-10-25: the first, 02:30 CEST (00:30Z).
  CHECK(expand("daily 02:30", "2026-10-24T00:00:00Z", "Europe/Berlin", 3) ==
        std::vector<std::string>{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
  // New York 02:30 on 2026-03-08 → 03:30 EDT (07:30Z).
  CHECK(expand("daily 02:30", "2026-03-08T00:00:00Z", "America/New_York", 1) ==
        std::vector<std::string>{"2026-03-08T07:30:00Z"});
}

TEST_CASE("recurrence: Lord Howe's half-hour DST and Kolkata's none", "[recurrence][dst]") {
  // Australia/Lord_Howe: +10:30 standard, +11 in summer; clocks go 02:00 → 02:30 on 2026-10-04
  // and 02:00 → 01:30 on 2026-04-05 (zdump -v -c 2026,2027 Australia/Lord_Howe).
  CHECK(expand("daily 09:00", "2026-10-02T00:00:00Z", "Australia/Lord_Howe", 3) ==
        std::vector<std::string>{"2026-10-02T22:30:00Z", "2026-10-03T22:00:00Z", "2026-10-04T22:00:00Z"});
  // 02:15 does not exist on 2026-10-04: 30 minutes later, 02:45 (+11) = 15:45Z the day before.
  CHECK(expand("daily 02:15", "2026-10-02T00:00:00Z", "Australia/Lord_Howe", 3) ==
        std::vector<std::string>{"2026-10-02T15:45:00Z", "2026-10-03T15:45:00Z", "2026-10-04T15:15:00Z"});
  // 01:45 happens twice on 2026-04-05: the first, at +11 (14:45Z the day before).
  CHECK(expand("daily 01:45", "2026-04-03T00:00:00Z", "Australia/Lord_Howe", 3) ==
        std::vector<std::string>{"2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"});
  // Asia/Kolkata: +05:30 all year.
  CHECK(expand("daily 09:00", "2026-03-28T00:00:00Z", "Asia/Kolkata", 2) ==
        std::vector<std::string>{"2026-03-28T03:30:00Z", "2026-03-29T03:30:00Z"});
  CHECK(expand("daily 09:00", "2026-10-24T00:00:00Z", "Asia/Kolkata", 2) ==
        std::vector<std::string>{"2026-10-24T03:30:00Z", "2026-10-25T03:30:00Z"});
}

TEST_CASE("recurrence: days of the week, several times, intervals", "[recurrence]") {
  // 2026-11-23 is a Monday.
  CHECK(expand("mon,wed,fri 18:30", "2026-11-22T00:00:00Z", "UTC", 4) ==
        std::vector<std::string>{"2026-11-23T18:30:00Z", "2026-11-25T18:30:00Z", "2026-11-27T18:30:00Z",
                                 "2026-11-30T18:30:00Z"});
  CHECK(expand("mon-fri 09:00,13:00", "2026-11-27T10:00:00Z", "UTC", 3) ==
        std::vector<std::string>{"2026-11-27T13:00:00Z", "2026-11-30T09:00:00Z", "2026-11-30T13:00:00Z"});
  CHECK(expand("weekdays 08:15", "2026-11-28T00:00:00Z", "UTC", 1) == std::vector<std::string>{"2026-11-30T08:15:00Z"});
  // "weekly" repeats the start's weekday and time.
  CHECK(expand("weekly", "2026-11-24T16:45:00Z", "UTC", 3) ==
        std::vector<std::string>{"2026-11-24T16:45:00Z", "2026-12-01T16:45:00Z", "2026-12-08T16:45:00Z"});
  CHECK(expand("every 2 weeks", "2026-11-24T16:45:00Z", "UTC", 2) ==
        std::vector<std::string>{"2026-11-24T16:45:00Z", "2026-12-08T16:45:00Z"});
  CHECK(expand("every 2 weeks on sat 10:00", "2026-11-23T00:00:00Z", "UTC", 2) ==
        std::vector<std::string>{"2026-11-28T10:00:00Z", "2026-12-12T10:00:00Z"});
  CHECK(expand("every 3 days 07:00", "2026-11-22T00:00:00Z", "UTC", 2) ==
        std::vector<std::string>{"2026-11-22T07:00:00Z", "2026-11-25T07:00:00Z"});
}

TEST_CASE("recurrence: months - 1st, 31st (skipping short months), last friday, yearly", "[recurrence]") {
  CHECK(expand("monthly 1st 09:00", "2026-11-22T00:00:00Z", "UTC", 2) ==
        std::vector<std::string>{"2026-12-01T09:00:00Z", "2027-01-01T09:00:00Z"});
  CHECK(expand("monthly 31st 12:00", "2027-01-01T00:00:00Z", "UTC", 3) ==
        std::vector<std::string>{"2027-01-31T12:00:00Z", "2027-03-31T12:00:00Z", "2027-05-31T12:00:00Z"});
  CHECK(expand("monthly last fri 17:00", "2026-11-01T00:00:00Z", "UTC", 2) ==
        std::vector<std::string>{"2026-11-27T17:00:00Z", "2026-12-25T17:00:00Z"});
  CHECK(expand("monthly last 20:00", "2027-02-01T00:00:00Z", "UTC", 1) == std::vector<std::string>{"2027-02-28T20:00:00Z"});
  CHECK(expand("monthly first mon 10:00", "2026-12-01T00:00:00Z", "UTC", 1) ==
        std::vector<std::string>{"2026-12-07T10:00:00Z"});
  // A leap day: only in leap years.
  CHECK(expand("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=12;BYMINUTE=0", "2026-01-01T00:00:00Z", "UTC", 2) ==
        std::vector<std::string>{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"});
}

TEST_CASE("recurrence: RRULEs, COUNT and UNTIL, round trips", "[recurrence][rrule]") {
  CHECK(expand("RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0", "2026-11-01T00:00:00Z", "UTC", 1) ==
        std::vector<std::string>{"2026-11-27T17:00:00Z"});
  CHECK(expand("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;BYHOUR=8;BYMINUTE=0,30", "2026-11-23T00:00:00Z", "UTC", 5) ==
        std::vector<std::string>{"2026-11-24T08:00:00Z", "2026-11-24T08:30:00Z", "2026-11-26T08:00:00Z",
                                 "2026-11-26T08:30:00Z", "2026-12-08T08:00:00Z"});
  auto until = expand("FREQ=DAILY;BYHOUR=9;BYMINUTE=0;UNTIL=20261125T090000Z", "2026-11-22T00:00:00Z", "UTC", 10);
  CHECK(until.size() == 4);
  CHECK(parse_recurrence("FREQ=DAILY;COUNT=3").count == 3);

  for (const char* rule : {"daily 09:00", "mon,wed,fri 18:30", "monthly last fri 17:00", "every 2 weeks",
                           "mon-fri 09:00,13:30", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24;BYHOUR=18;BYMINUTE=0"}) {
    Recurrence r = parse_recurrence(rule);
    Recurrence again = parse_recurrence(r.to_rrule());
    INFO(rule << " -> " << r.to_rrule());
    CHECK(again.to_rrule() == r.to_rrule());
  }
  CHECK(parse_recurrence("mon,wed,fri 18:30").to_rrule() == "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=18;BYMINUTE=30");
  CHECK(parse_recurrence("mon-fri 09:00,13:30").to_rrule() == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;X-CRIER-TIMES=0900,1330");
  CHECK(parse_recurrence("monthly last fri 17:00").describe() == "every month on last Fri at 17:00");
}

TEST_CASE("recurrence: what is not understood is refused with examples", "[recurrence][errors]") {
  for (const char* bad : {"", "sometimes", "daily 25:00", "every fortnight", "FREQ=HOURLY", "FREQ=DAILY;BYSETPOS=1",
                          "BYDAY=MO", "FREQ=DAILY;COUNT=2;UNTIL=20261201", "6th mon", "daily weekly",
                          "FREQ=DAILY;BYHOUR=9", "every 0 days"}) {
    INFO(bad);
    try {
      parse_recurrence(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK_THAT(e.hint(), Catch::Contains("daily 09:00"));
    }
  }
}

TEST_CASE("recurrence: an RRULE part with no value is an error, not a crash (found by fuzzing)", "[recurrence]") {
  for (std::string rule : {"FREQ=DAILY;INTERVAL=", "FREQ=DAILY;COUNT=", "FREQ=WEEKLY;BYDAY=", "FREQ=DAILY;INTERVAL=;2UNTIL=33800Z"}) {
    INFO(rule);
    CHECK_THROWS_AS(parse_recurrence(rule), Error);
  }
}
