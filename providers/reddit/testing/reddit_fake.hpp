// Reddit's OAuth API on 127.0.0.1 for tests, answering with bodies recorded from reddit.com
// (../shared/fixtures/recorded/go-reddit testdata, shapes checked against asyncpraw's
// cassettes) and keeping state like it: a script app's password grant with expiring tokens,
// the User-Agent rule, subreddits with post requirements and flairs, submissions listed newest
// first, an inbox of comment replies, mentions and private messages paged with `before`,
// comments, /api/info, and X-Ratelimit-* headers on every answer.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class RedditFake {
 public:
  static constexpr const char* k_client_id = "fake-client-id";
  static constexpr const char* k_client_secret = "fake-client-secret";
  static constexpr const char* k_user = "crier_tester";
  static constexpr const char* k_password = "fake-password-1";
  static constexpr const char* k_installed_id = "fake-installed-id";  // an installed app: no secret
  RedditFake();
  const std::string& url() const { return m_url; }
  // The JSON crier accounts add reads on stdin.
  std::string credentials();
  // Other credentials for the script app (canaries, in the secrets test).
  void set_credentials(std::string client_secret, std::string password) {
    std::lock_guard l(m_mutex);
    m_client_secret = std::move(client_secret);
    m_password = std::move(password);
  }
  // A server that talks too much: every answer carries the request's Authorization in a header,
  // errors quote it, and a refused sign-in quotes the password it was given.
  bool echo_secrets = false;

  // Tokens it hands out live this long; expire_tokens() makes every one given so far invalid.
  void set_token_lifetime(int seconds) {
    std::lock_guard l(m_mutex);
    m_lifetime = seconds;
  }
  void expire_tokens() {
    std::lock_guard l(m_mutex);
    m_tokens.clear();
  }
  int tokens_issued() {
    std::lock_guard l(m_mutex);
    return m_issued;
  }

  // Someone else writes: a reply to our thing `parent` (t3_ or t1_), a mention, a message.
  std::string add_reply(const std::string& parent, const std::string& author, const std::string& text);
  std::string add_mention(const std::string& author, const std::string& text);
  std::string add_dm(const std::string& author, const std::string& subject, const std::string& text);
  // A submission of ours made elsewhere, `age_seconds` ago.
  std::string add_own_submission(const std::string& subreddit, const std::string& title, int age_seconds);
  void set_score(const std::string& fullname, int score, int comments, double upvote_ratio = 1.0);

  // Faults: the next submission is made and the answer is a 500 (lost); or made and its answer
  // held back `ms` (a client killed meanwhile never records it); or refused with RATELIMIT.
  void lose_next_submit() {
    std::lock_guard l(m_mutex);
    m_lose = true;
  }
  void hold_next_submit(int ms) {
    std::lock_guard l(m_mutex);
    m_hold_ms = ms;
  }
  void ratelimit_next_submit() {
    std::lock_guard l(m_mutex);
    m_ratelimit = true;
  }

  std::vector<nlohmann::json> our_submissions();
  int our_comments();
  std::vector<RecordedRequest> requests() { return m_server.requests(); }

 private:
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res);
  nlohmann::json listing(const std::vector<nlohmann::json>& children);
  std::string next_id();
  double now() const;

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  nlohmann::json m_t1, m_t4, m_t3, m_me, m_requirements, m_flairs;
  std::map<std::string, long long> m_tokens;  // token -> expiry (unix seconds)
  int m_lifetime = 3600, m_issued = 0;
  std::vector<nlohmann::json> m_submissions;  // t3 data, oldest first (ours and others')
  std::vector<nlohmann::json> m_inbox;        // {kind, data}, oldest first
  std::vector<nlohmann::json> m_comments;     // ours
  std::vector<std::string> m_uploads;         // storage addresses of uploaded images
  bool m_lose = false, m_ratelimit = false;
  int m_hold_ms = 0;
  long long m_next = 46656;  // base 36 ids, as Reddit's
  int m_used = 0;
  std::string m_client_secret = k_client_secret, m_password = k_password;
  std::string m_redirect;                 // what /api/v1/authorize was asked to return to
  std::map<std::string, bool> m_refresh;  // refresh tokens handed out
};

}  // namespace crier::testing
