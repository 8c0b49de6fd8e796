// Instagram's Graph API on 127.0.0.1 for tests, answering with bodies recorded from the real API
// (../shared/fixtures/recorded/python-facebook/testdata/instagram: publish containers and their
// status, the publishing limit, media, comments and replies, tags, insights, the account; the
// Facebook user's Pages; the long-lived token) and keeping state like it: both ways in
// (Instagram Login tokens, and Facebook user tokens whose Pages hand out Page tokens),
// containers that take a while, images fetched from the URL given (JPEG only), a 25-a-day
// publishing limit, comments with one level of replies, DMs with Meta's 24-hour window.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class InstagramFake {
 public:
  static constexpr const char* k_user = "crier_tester";
  static constexpr const char* k_ig_id = "17841407673135339";
  static constexpr const char* k_page_id = "123";
  static constexpr const char* k_ig_token = "IGAAfake-instagram-login-token";
  static constexpr const char* k_user_token = "EAAfake-facebook-user-token";
  static constexpr const char* k_page_token = "EAAfake-page-token-123";
  InstagramFake();
  const std::string& url() const { return m_url; }
  // A server that talks too much: every answer carries the request's token in a header, and a
  // refused token is quoted in the error's message.
  bool echo_secrets = false;
  // The user's Meta app, for the browser sign-in.
  static constexpr const char* k_app_id = "1234567890";
  static constexpr const char* k_app_secret = "fake-meta-app-secret";

  // A second Page with another linked account (@crier_other): connecting must pick one.
  void link_second_account() {
    std::lock_guard l(m_mutex);
    m_second = true;
  }
  void set_processing_polls(int n) {
    std::lock_guard l(m_mutex);
    m_processing_polls = n;
  }
  void set_quota_used(int n) {
    std::lock_guard l(m_mutex);
    m_quota_used = n;
  }
  void lose_next_publish() {
    std::lock_guard l(m_mutex);
    m_lose = true;
  }
  void hold_next_publish(int ms) {
    std::lock_guard l(m_mutex);
    m_hold_ms = ms;
  }
  int refreshes() {
    std::lock_guard l(m_mutex);
    return m_refreshes;
  }
  std::string ig_token() {
    std::lock_guard l(m_mutex);
    return m_ig_token;
  }

  // Someone comments on our media `media`, replies under comment `comment`, tags us, writes to us.
  std::string add_comment(const std::string& media, const std::string& author, const std::string& text);
  std::string add_tag(const std::string& author, const std::string& caption);
  std::string add_dm(const std::string& author, const std::string& text, int age_seconds = 0);
  std::string add_own_media(const std::string& caption, int age_seconds);
  void set_counts(const std::string& media, int likes, int comments, int shares, int views);

  std::vector<nlohmann::json> our_media();       // published, oldest first
  std::vector<nlohmann::json> our_comments();    // our replies to comments
  std::vector<nlohmann::json> our_messages();    // our DMs, with their tag
  size_t hidden_comments() {
    std::lock_guard l(m_mutex);
    size_t n = 0;
    for (const auto& c : m_comments) n += c.value("hidden", false) ? 1 : 0;
    return n;
  }
  size_t containers_made() {
    std::lock_guard l(m_mutex);
    return m_containers.size();
  }
  std::vector<RecordedRequest> requests() { return m_server.requests(); }

 private:
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res, bool user_token_ok = false);
  std::string next_id();
  std::string fetch_image(const std::string& url);

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  nlohmann::json m_account, m_pages, m_limit, m_container, m_media_tpl, m_comment_tpl, m_insights, m_error;
  std::string m_ig_token = k_ig_token;
  int m_refreshes = 0;
  bool m_second = false;
  int m_processing_polls = 0, m_quota_used = 0;
  bool m_lose = false;
  int m_hold_ms = 0;
  long long m_next = 17900000000000000;
  std::map<std::string, nlohmann::json> m_containers;
  std::vector<nlohmann::json> m_media;      // every media, ours first-class, tags too (oldest first)
  std::vector<nlohmann::json> m_comments;   // {id, media, parent, username, text, ts}
  std::vector<nlohmann::json> m_messages;   // {id, from, text, ts, ours, tag}
  std::map<std::string, nlohmann::json> m_counts;
};

}  // namespace crier::testing
