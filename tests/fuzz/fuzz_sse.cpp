// Server-sent event streams from a model, split anywhere: the same events however it is cut.
#include <vector>

#include "fuzz_common.hpp"
#include "llm/sse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  if (size < 1) return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  return fuzz::guarded([&] {
    std::vector<std::string> whole, pieces;
    SseParser a([&](const SseEvent& e) { whole.push_back(e.event + "\n" + e.data); });
    a.feed(stream);
    a.finish();
    SseParser b([&](const SseEvent& e) { pieces.push_back(e.event + "\n" + e.data); });
    for (size_t i = 0; i < stream.size(); i += step) b.feed(stream.substr(i, step));
    b.finish();
    if (whole != pieces) fuzz::fail("the same events however the stream is cut");
    std::string shown;
    Utf8Stream u([&](std::string_view s) { shown += s; });
    for (size_t i = 0; i < stream.size(); i += step) u.write(stream.substr(i, step));
    u.flush();
    if (shown != stream) fuzz::fail("Utf8Stream passes every byte on");
  });
}
