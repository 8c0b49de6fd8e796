// Pacing from the networks' own rate-limit headers (X-RateLimit-* on Mastodon, RateLimit-* on
// Bluesky), shared by every worker thread of a process. Each window is keyed by the server and
// the credentials a request carries, so two accounts on one instance are paced apart and one
// account is paced the same whichever thread sends for it.
//
// - A window with plenty left costs nothing.
// - When what is left runs low (a tenth of the limit, or 10 when the limit is not said), calls
//   are spread evenly over the time until the reset: slow down before the limit, not at it.
// - A window used up (remaining 0) defers: Error(rate_limited) with the time until the reset,
//   so the engine schedules a retry instead of sending requests that would be refused.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "http/transport.hpp"

namespace crier {

class Pacer {
 public:
  // max_pause: the longest pause taken in place; a longer one defers the work instead.
  // max_wait: the longest a reset time from the network is believed for (a server that says
  // "come back in 30 years" is waited for this long, then asked again).
  explicit Pacer(std::chrono::milliseconds max_pause = std::chrono::seconds{10},
                 std::chrono::seconds max_wait = std::chrono::hours{1})
      : m_max_pause(max_pause), m_max_wait(max_wait) {}

  // Before sending `request`: sleeps as long as pacing asks. Throws Error(rate_limited) with
  // retry_after when the window is used up or the pause would be longer than max_pause.
  void before(const HttpRequest& request, std::string_view what, Timestamp now);
  // After the answer: reads the window from its headers.
  void observe(const HttpRequest& request, const HttpResponse& response, Timestamp now);

  // The pause the next call for `request` would take now (for tests and -v logs).
  std::chrono::milliseconds pause_for(const HttpRequest& request) const;

 private:
  struct Window {
    std::optional<Timestamp> blocked_until;
    std::chrono::milliseconds interval{0};
    std::chrono::steady_clock::time_point next_call{};
  };
  static std::string key_for(const HttpRequest& request);

  std::chrono::milliseconds m_max_pause;
  std::chrono::seconds m_max_wait;
  mutable std::mutex m_mutex;
  std::map<std::string, Window> m_windows;
};

}  // namespace crier
