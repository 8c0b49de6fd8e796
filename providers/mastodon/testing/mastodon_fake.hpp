// A Mastodon instance on 127.0.0.1 for tests, answering with bodies recorded from a real
// Mastodon 4.x server (../shared/fixtures/recorded/mastodon.py) and keeping state like one:
// statuses with Idempotency-Key dedup, media processed after a 202, notifications and
// conversations paged with min_id and Link headers. Faults can be injected per path.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class MastodonFake {
 public:
  static constexpr const char* k_token = "test-token";
  MastodonFake();
  // The token it accepts (and hands out at /oauth/token) instead of k_token.
  void set_token(std::string token) {
    std::lock_guard<std::mutex> l(m_mutex);
    m_token = std::move(token);
  }
  // A server that talks too much: every answer carries the request's Authorization in a header,
  // every error body repeats it, and the instance's description quotes it.
  bool echo_secrets = false;
  const std::string& url() const { return m_url; }
  const nlohmann::json& me() const { return m_me; }

  // Someone else writes: a mention of us (a reply when in_reply_to is one of our statuses).
  std::string add_mention(const std::string& acct, const std::string& text, const std::string& in_reply_to = "");
  std::string add_dm(const std::string& acct, const std::string& text);
  void set_counts(const std::string& status_id, int favourites, int reblogs, int replies);

  // The next `times` requests whose path starts with `path` get this answer instead.
  void fail(const std::string& path, int status, std::map<std::string, std::string> headers = {}, int times = 1,
            std::string body = R"({"error":"injected"})");
  // The next status POST is created, but the client gets a 500 (the answer was lost).
  void lose_next_status_answer() { m_lose_answer = true; }
  // The next status is made, then the connection is closed before the answer's body.
  void drop_next_status_answer() { m_drop_answer = true; }
  // The next status is made at once, and its answer is sent `ms` later (the client times out).
  void slow_next_status_answer(int ms) { m_slow_answer_ms = ms; }
  // The next status is made, and the client gets a 200 with this body instead of the status
  // (not what the API documents: a list, a number id, an empty object, an HTML page).
  void garble_next_status_answer(std::string body, std::string content_type = "application/json") {
    std::lock_guard<std::mutex> l(m_mutex);
    m_garbled_body = std::move(body);
    m_garbled_type = std::move(content_type);
    m_garble = true;
  }
  // A status of ours made elsewhere (another client, by hand), `age_seconds` ago; returns its id.
  std::string add_own_status(const std::string& text, int age_seconds, const std::string& in_reply_to = "",
                             int images = 0, const std::string& spoiler = "");
  // Every answer waits this long (for benchmarks of concurrency).
  void set_latency_ms(int ms) { m_latency_ms = ms; }

  std::vector<nlohmann::json> our_statuses();
  // The Idempotency-Key of the request that made status `id` (kept even when ignoring keys).
  std::string key_of(const std::string& id);
  // Answer this share (0..100) of status posts with 429, Retry-After `retry_after` and a used-up
  // X-RateLimit window (so crier's pacer defers the next calls too), deterministically from seed.
  void throttle(int percent, int retry_after_seconds, unsigned seed = 1) {
    std::lock_guard<std::mutex> l(m_mutex);
    m_throttle = percent;
    m_throttle_after = retry_after_seconds;
    m_rng_state = seed;
  }
  int throttled() {
    std::lock_guard<std::mutex> l(m_mutex);
    return m_throttled;
  }
  void forget_statuses() { std::lock_guard<std::mutex> l(m_mutex); m_statuses.clear(); m_created = 0; }
  int statuses_created();
  std::vector<RecordedRequest> requests() { return m_server.requests(); }
  int media_descriptions(std::vector<std::string>* out = nullptr);

 public:
  bool deny_sign_in = false;  // /oauth/authorize answers error=access_denied
  // Forget Idempotency-Key, so that only crier's own reconcile stands between a resend and a
  // duplicate (the chaos test proves crier without the network's help).
  bool ignore_idempotency = false;

 private:
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res);
  nlohmann::json make_status(const nlohmann::json& account, const std::string& text, const std::string& visibility,
                             const std::string& in_reply_to, const std::string& in_reply_to_account);
  std::string next_id();

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  nlohmann::json m_me, m_instance, m_template;
  std::vector<nlohmann::json> m_statuses;       // everyone's, oldest first
  std::map<std::string, std::string> m_keys;    // Idempotency-Key -> status id
  std::string m_redirect_uri;                   // what /api/v1/apps registered
  std::vector<nlohmann::json> m_notifications;  // oldest first
  std::vector<nlohmann::json> m_conversations;
  std::map<std::string, int> m_media_polls;
  std::map<std::string, std::string> m_media_descriptions;
  struct Fault {
    std::string path;
    int status;
    std::map<std::string, std::string> headers;
    int times;
    std::string body;
  };
  std::vector<Fault> m_faults;
  std::map<std::string, std::string> m_made_with;  // status id -> Idempotency-Key of its request
  int m_throttle = 0, m_throttle_after = 1, m_throttled = 0;
  unsigned m_rng_state = 1;
  std::string m_token = k_token;
  std::string m_garbled_body, m_garbled_type;
  bool m_garble = false;
  bool m_lose_answer = false;
  bool m_drop_answer = false;
  int m_slow_answer_ms = 0;
  int m_latency_ms = 0;
  long long m_next = 117100000000000000LL;
  int m_created = 0;
};

}  // namespace crier::testing
