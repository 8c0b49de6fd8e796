// --at times: what a user (or a script) types.
#include <date/tz.h>

#include "fuzz_common.hpp"
#include "time/when.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  static const date::time_zone* zones[] = {date::locate_zone("UTC"), date::locate_zone("Europe/Berlin"),
                                           date::locate_zone("America/New_York"), date::locate_zone("Australia/Lord_Howe")};
  fuzz::Input in(data, size);
  const date::time_zone* tz = zones[in.byte() % 4];
  Timestamp now = from_unix(1'795'000'000 + static_cast<long long>(in.byte()) * 86'399);
  std::string text(in.rest());
  return fuzz::guarded([&] {
    Timestamp t = parse_when(text, now, tz);
    (void)format_local(t, tz);
    (void)format_relative(t, now);
    (void)parse_duration(text);
  });
}
