// The Threads API (graph.threads.net/v1.0) on 127.0.0.1 for tests, answering with the shapes
// recorded from the real API (../shared/fixtures/recorded/restfb/threads: profile, media,
// replies, quota, container status, error; python-facebook base/threads_user_long_lived_token)
// and keeping state like it: containers that are IN_PROGRESS for a while and then FINISHED,
// published once (a second publish of a container is refused), images fetched from the URL
// they are given (a private or broken URL fails as it would), a 24-hour publishing quota,
// conversations, mentions, insights, long-lived tokens refreshed with th_refresh_token.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class ThreadsFake {
 public:
  static constexpr const char* k_user = "crier_tester";
  static constexpr const char* k_user_id = "17841400000000001";
  static constexpr const char* k_token = "THQVJfake-long-lived-token-1";
  ThreadsFake();
  const std::string& url() const { return m_url; }
  // A server that talks too much: every answer carries the request's token in a header, and a
  // refused token is quoted in the error's message.
  bool echo_secrets = false;
  // The user's Meta app, for the browser sign-in.
  static constexpr const char* k_app_id = "1234567890";
  static constexpr const char* k_app_secret = "fake-meta-app-secret";

  // Tokens: the one it accepts now. refresh_access_token swaps it for a new one (when allowed:
  // a real token must be a day old first); revoke() makes it invalid (code 190).
  std::string token() {
    std::lock_guard l(m_mutex);
    return m_token;
  }
  void allow_refresh(bool yes) {
    std::lock_guard l(m_mutex);
    m_refresh_allowed = yes;
  }
  int refreshes() {
    std::lock_guard l(m_mutex);
    return m_refreshes;
  }
  void revoke() {
    std::lock_guard l(m_mutex);
    m_token = "revoked";
  }
  // Containers stay IN_PROGRESS for this many status reads (0: FINISHED at once).
  void set_processing_polls(int n) {
    std::lock_guard l(m_mutex);
    m_processing_polls = n;
  }
  // Quota: posts published in the window so far (the limit is 250, replies 1,000).
  void set_quota_used(int n) {
    std::lock_guard l(m_mutex);
    m_quota_used = n;
  }
  // The next publish is made, and its answer lost (500); or held `ms` before it is sent.
  void lose_next_publish() {
    std::lock_guard l(m_mutex);
    m_lose = true;
  }
  void hold_next_publish(int ms) {
    std::lock_guard l(m_mutex);
    m_hold_ms = ms;
  }
  // The next container creation is made, and its answer lost (500).
  void lose_next_container() {
    std::lock_guard l(m_mutex);
    m_lose_container = true;
  }

  // Someone replies to post `parent`, or mentions us.
  std::string add_reply(const std::string& parent, const std::string& author, const std::string& text);
  std::string add_mention(const std::string& author, const std::string& text);
  // A post of ours made elsewhere `age_seconds` ago (a recurring post's earlier occurrence).
  std::string add_own_post(const std::string& text, int age_seconds);
  void set_insights(const std::string& id, int views, int likes, int replies, int reposts, int quotes);
  void set_followers(int n) {
    std::lock_guard l(m_mutex);
    m_followers = n;
  }

  std::vector<nlohmann::json> our_posts();  // published by us (roots and replies), oldest first
  size_t containers_made() {
    std::lock_guard l(m_mutex);
    return m_containers.size();
  }
  std::set<std::string> hidden() {
    std::lock_guard l(m_mutex);
    return m_hidden;
  }
  std::vector<RecordedRequest> requests() { return m_server.requests(); }

 private:
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res);
  std::string next_id();
  nlohmann::json post_view(const nlohmann::json& p, const std::string& fields) const;
  std::string fetch_image(const std::string& url);  // "" when it is an image, else why not

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  nlohmann::json m_profile, m_media, m_reply, m_quota, m_error;
  std::string m_token = k_token;
  bool m_refresh_allowed = true;
  int m_refreshes = 0;
  int m_processing_polls = 0;
  int m_quota_used = 0, m_reply_quota_used = 0;
  bool m_lose = false, m_lose_container = false;
  int m_hold_ms = 0;
  int m_followers = 1234;
  long long m_next = 18000000000000000;
  std::map<std::string, nlohmann::json> m_containers;  // id -> {status, polls, fields, children}
  std::vector<nlohmann::json> m_posts;                 // every post, oldest first (ours and others')
  std::map<std::string, nlohmann::json> m_insights;
  std::set<std::string> m_hidden;
};

}  // namespace crier::testing
