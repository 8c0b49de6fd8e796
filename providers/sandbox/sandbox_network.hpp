// The sandbox network: a small social network that lives in one file on this machine. It is
// the "server" the sandbox provider talks to — it knows nothing of crier's store. Simulated
// followers reply, mention, write DMs, like and repost; everything they do is a pure function
// of the seed, the post ids and the clock, so runs are reproducible.
//
// Several crier processes may use it at once: every operation locks the file (flock) and
// rewrites it atomically, like a server serialising requests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock.hpp"

namespace crier::sandbox {

struct NetPost {
  std::string id;
  std::string author;
  std::string text;
  std::string idempotency_key;
  std::string reply_to;       // remote id answered, "" for a root post
  std::string conversation;   // for DMs: the conversation id; "" for public posts
  int media = 0;
  std::string title;                          // "" when none
  std::map<std::string, std::string> options;  // --opt values, as the post was made with them
  Timestamp created_at{};
};

struct Event {
  std::string kind;  // reply | mention | dm
  std::string id;
  std::string thread_id;
  std::string parent_id;
  std::string author;
  std::string author_name;
  std::string text;
  Timestamp at{};
};

struct Stats {
  int64_t likes = 0, reposts = 0, replies = 0, quotes = 0, views = 0;
};

class Network {
 public:
  Network(std::filesystem::path dir, const Clock& clock, uint64_t seed, int64_t speed);

  // Creates the handle if new; returns a fresh token (older tokens stay valid).
  std::string register_account(const std::string& handle);
  // Throws Error(auth) when the token is not one the network issued for the handle.
  void check_token(const std::string& handle, const std::string& token);
  Timestamp account_created(const std::string& handle);

  // Creates a post (or a DM when conversation is set). A repeated idempotency key returns the
  // post created the first time, like Mastodon's Idempotency-Key.
  NetPost create_post(NetPost post);
  std::optional<NetPost> find_by_key(const std::string& author, const std::string& key);
  std::optional<NetPost> find_post(const std::string& id);

  // Everything the simulated followers did for `handle` up to now, oldest first.
  std::vector<Event> events(const std::string& handle);
  Stats stats(const std::string& post_id);
  int64_t followers(const std::string& handle);
  int64_t post_count(const std::string& handle);

 private:
  template <typename F>
  auto with_state(bool write, F&& body);
  nlohmann::json load();
  void save(const nlohmann::json& state);

  std::filesystem::path m_dir;
  const Clock& m_clock;
  uint64_t m_seed;
  int64_t m_speed;
};

}  // namespace crier::sandbox
