// A Bluesky PDS (with the AppView and chat calls it proxies) on 127.0.0.1 for tests: sessions
// with expiring access tokens, records keyed by rkey (a second write to a key fails), blobs,
// notifications paged newest-first with a cursor, getPosts counts, profiles, and chat that
// answers only with the right atproto-proxy header. Shapes follow the lexicons and the
// records recorded from the live network (../shared/fixtures/recorded/atproto-python).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class BlueskyFake {
 public:
  static constexpr const char* k_handle = "alice.test";
  static constexpr const char* k_did = "did:plc:alice000000000000000000";
  static constexpr const char* k_password = "app-pass-1234";
  static constexpr const char* k_chat = "did:web:chat.test#bsky_chat";
  // echo_secrets: a server that talks too much - every answer carries the request's
  // Authorization in a header, and every error message repeats it (and a refused password).
  // prefix: made part of every session token it hands out (a canary to search for).
  explicit BlueskyFake(bool echo_secrets = false, std::string prefix = "", std::string password = k_password);
  const std::string& url() const { return m_url; }

  std::string add_reply(const std::string& handle, const std::string& text, const std::string& parent_uri);
  std::string add_mention(const std::string& handle, const std::string& text);
  std::string add_dm(const std::string& handle, const std::string& text);
  void set_counts(const std::string& uri, int likes, int reposts, int replies, int quotes);
  std::string access_token() { std::lock_guard<std::mutex> l(m_mutex); return m_access; }
  void expire_access() { std::lock_guard<std::mutex> l(m_mutex); m_access = "expired-" + m_access; }
  void expire_refresh() { std::lock_guard<std::mutex> l(m_mutex); m_refresh = "gone"; }
  void lose_next_create() { m_lose_create = true; }

  std::vector<nlohmann::json> our_posts();  // records of alice, in write order
  int create_session_calls() { std::lock_guard<std::mutex> l(m_mutex); return m_sessions; }
  std::vector<RecordedRequest> requests() { return m_server.requests(); }
  std::vector<nlohmann::json> sent_messages() { std::lock_guard<std::mutex> l(m_mutex); return m_sent; }

 private:
  void routes();
  bool authed(const httplib::Request& req, httplib::Response& res);
  std::string new_cid();
  std::string new_time();

  LoopbackServer m_server;
  std::string m_url;
  std::mutex m_mutex;
  bool m_echo = false;
  std::string m_prefix, m_password;
  std::string m_last_auth;  // the Authorization of the request being answered (echo mode)
  std::string m_access = "access-1", m_refresh = "refresh-1";
  int m_sessions = 0, m_serial = 0;
  bool m_lose_create = false;
  std::map<std::string, std::string> m_dids{{"alice.test", "did:plc:alice000000000000000000"},
                                            {"bob.test", "did:plc:bob00000000000000000000"},
                                            {"carol.test", "did:plc:carol000000000000000000"}};
  std::vector<nlohmann::json> m_records;        // {uri, cid, value, author}
  std::vector<nlohmann::json> m_notifications;  // oldest first
  std::map<std::string, nlohmann::json> m_counts;
  std::vector<nlohmann::json> m_convos;
  std::vector<nlohmann::json> m_sent;
};

}  // namespace crier::testing
