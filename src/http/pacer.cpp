#include "http/pacer.hpp"

#include <algorithm>
#include <thread>

#include "error.hpp"
#include "hash.hpp"
#include "log.hpp"

namespace crier {
namespace {

using namespace std::chrono;

std::optional<long long> header_number(const HttpResponse& r, const char* a, const char* b) {
  auto v = r.header(a);
  if (!v) v = r.header(b);
  if (!v) return std::nullopt;
  try {
    size_t used = 0;
    long long n = std::stoll(*v, &used);
    // Reddit sends "598.0": the fraction of a request is dropped.
    if (used < v->size() && (*v)[used] == '.' &&
        v->find_first_not_of("0123456789", used + 1) == std::string::npos)
      used = v->size();
    if (used != v->size() || n < 0) return std::nullopt;
    return n;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string Pacer::key_for(const HttpRequest& q) {
  // scheme://host[:port] and a hash of the credentials (never the credentials themselves).
  size_t start = q.url.find("://");
  size_t end = q.url.find('/', start == std::string::npos ? 0 : start + 3);
  std::string key = q.url.substr(0, end);
  for (const auto& [k, v] : q.headers)
    if (k.size() == 13 && (k == "Authorization" || k == "authorization")) key += "|" + std::to_string(fnv1a(v));
  return key;
}

milliseconds Pacer::pause_for(const HttpRequest& q) const {
  std::lock_guard lock(m_mutex);
  auto it = m_windows.find(key_for(q));
  if (it == m_windows.end()) return milliseconds{0};
  return std::max(milliseconds{0}, duration_cast<milliseconds>(it->second.next_call - steady_clock::now()));
}

void Pacer::before(const HttpRequest& q, std::string_view what, Timestamp now) {
  milliseconds pause{0};
  {
    std::lock_guard lock(m_mutex);
    Window& w = m_windows[key_for(q)];
    if (w.blocked_until && *w.blocked_until > now)
      throw Error(ErrorKind::rate_limited, std::string(what) + ": the rate limit is used up until it resets",
                  "crier defers the work; cron's next run picks it up")
          .with_retry_after(duration_cast<seconds>(*w.blocked_until - now));
    auto t = steady_clock::now();
    pause = std::max(milliseconds{0}, duration_cast<milliseconds>(w.next_call - t));
    if (pause > m_max_pause)
      throw Error(ErrorKind::rate_limited, std::string(what) + ": the rate limit is nearly used up",
                  "crier spreads what is left until the reset and defers the rest")
          .with_retry_after(std::max(seconds{1}, duration_cast<seconds>(pause)));
    w.next_call = std::max(w.next_call, t) + w.interval;  // this call's turn is taken
  }
  if (pause.count() > 0) {
    spdlog::debug("{}: pacing, {} ms before the call", what, pause.count());
    std::this_thread::sleep_for(pause);
  }
}

void Pacer::observe(const HttpRequest& q, const HttpResponse& r, Timestamp now) {
  auto remaining = header_number(r, "X-RateLimit-Remaining", "RateLimit-Remaining");
  if (!remaining) return;
  auto limit = header_number(r, "X-RateLimit-Limit", "RateLimit-Limit");
  auto reset = rate_limit_wait(r, now);
  if (reset && *reset > m_max_wait) reset = m_max_wait;
  std::lock_guard lock(m_mutex);
  Window& w = m_windows[key_for(q)];
  if (*remaining == 0) {
    if (reset) w.blocked_until = now + *reset;
    return;
  }
  w.blocked_until.reset();
  long long low = limit ? std::max<long long>(*limit / 10, 1) : 10;
  if (reset && *remaining <= low)
    w.interval = duration_cast<milliseconds>(*reset) / *remaining;
  else
    w.interval = milliseconds{0};
}

}  // namespace crier
