// Recurrence rules (--every, slots set): readable rules and RRULEs, then their expansion.
#include <date/tz.h>

#include "fuzz_common.hpp"
#include "time/recurrence.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  static const date::time_zone* zones[] = {date::locate_zone("UTC"), date::locate_zone("Europe/Berlin"),
                                           date::locate_zone("America/New_York"), date::locate_zone("Australia/Lord_Howe")};
  fuzz::Input in(data, size);
  const date::time_zone* tz = zones[in.byte() % 4];
  Timestamp start = from_unix(1'795'000'000 + static_cast<long long>(in.byte()) * 3'607);
  std::string text(in.rest());
  return fuzz::guarded([&] {
    Recurrence r = parse_recurrence(text);
    (void)r.to_rrule();
    (void)r.describe();
    Timestamp after = start;
    for (int i = 0; i < 5; ++i) {
      auto next = next_occurrence(r, start, tz, after);
      if (!next) break;
      if (*next <= after) fuzz::fail("strictly after, always");
      after = *next;
    }
    // What to_rrule writes reads back.
    (void)parse_recurrence(r.to_rrule());
  });
}
