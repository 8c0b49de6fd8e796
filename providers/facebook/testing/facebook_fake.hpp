// The Graph API of Facebook Pages on 127.0.0.1 for tests, answering with bodies recorded from
// the real API (../shared/fixtures/recorded/python-facebook/testdata/facebook: the user's Pages,
// posts and their reactions, photos, comments and the created comment, conversations and
// messages) and keeping state like it: Page tokens handed out by /me/accounts, a feed listed
// newest first, photos uploaded as multipart (published, or not to attach), comments nested one
// level, Messenger with its 24-hour window.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class FacebookFake {
 public:
  static constexpr const char* k_user_token = "EAAfake-fb-user-token";
  static constexpr const char* k_page_id = "123";
  static constexpr const char* k_page_name = "AAAAAAAAA";  // the recorded Page's
  FacebookFake();
  const std::string& url() const { return m_url; }
  // A server that talks too much: every answer carries the request's token in a header, and a
  // refused token is quoted in the error's message.
  bool echo_secrets = false;
  // The user's Meta app, for the browser sign-in.
  static constexpr const char* k_app_id = "1234567890";
  static constexpr const char* k_app_secret = "fake-meta-app-secret";
  std::string page_token() const { return std::string("EAAfake-page-token-") + k_page_id; }

  // The user manages every Page of the recorded list, not only the first (whose token is the
  // one this fake accepts).
  void manage_all_pages() {
    std::lock_guard l(m_mutex);
    m_all_pages = true;
  }
  void lose_next_post() {
    std::lock_guard l(m_mutex);
    m_lose = true;
  }
  void hold_next_post(int ms) {
    std::lock_guard l(m_mutex);
    m_hold_ms = ms;
  }

  std::string add_comment(const std::string& on, const std::string& name, const std::string& text);
  std::string add_message(const std::string& name, const std::string& text, int age_seconds = 0);
  std::string add_own_post(const std::string& message, int age_seconds);
  void set_counts(const std::string& post, int reactions, int comments, int shares, int impressions);

  std::vector<nlohmann::json> posts();     // the Page's posts, oldest first
  std::vector<nlohmann::json> photos();    // uploaded photos
  std::vector<nlohmann::json> our_comments();
  std::vector<nlohmann::json> our_messages();
  std::vector<RecordedRequest> requests() { return m_server.requests(); }

 private:
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res, bool user_ok = false);
  std::string next_id();

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  nlohmann::json m_pages, m_post_tpl, m_comment_tpl, m_created_comment, m_photo_tpl, m_error;
  bool m_lose = false;
  bool m_all_pages = false;
  int m_hold_ms = 0;
  long long m_next = 424924701699721;
  std::vector<nlohmann::json> m_posts, m_photos, m_comments, m_messages;
  std::map<std::string, nlohmann::json> m_counts;
};

}  // namespace crier::testing
