#include "providers/sandbox/sandbox_network.hpp"

#include <array>
#include <cmath>
#include <random>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "error.hpp"
#include "paths.hpp"

namespace crier::sandbox {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::array<std::pair<const char*, const char*>, 8> k_followers{{
    {"ada.sandbox", "Ada"},
    {"grace.sandbox", "Grace"},
    {"linus.sandbox", "Linus"},
    {"margaret.sandbox", "Margaret"},
    {"ken.sandbox", "Ken"},
    {"barbara.sandbox", "Barbara"},
    {"dennis.sandbox", "Dennis"},
    {"frances.sandbox", "Frances"},
}};

constexpr std::array k_replies{
    "Love this!",
    "Great point. Do you have a source for that?",
    "Thanks for sharing.",
    "Interesting! How long did this take you?",
    "Totally agree.",
    "Could you say more about that?",
    "Congrats! 🎉",
    "Bookmarked for later.",
    "I tried this yesterday and it worked for me too.",
    "Hmm, I'm not sure I agree — what about the edge cases?",
};

constexpr std::array k_mentions{
    "@{me} what do you think about the new release?",
    "Shout-out to @{me} for the helpful thread last week.",
    "@{me} are you speaking at the meetup this month?",
    "Anyone else following @{me}? Always good stuff.",
};

constexpr std::array k_dms{
    "Hi! Quick question about your last post — can I share it in our newsletter?",
    "Hey, would you be up for a short interview?",
    "Thanks for the tips, they helped a lot.",
    "Do you have slides from your talk?",
};

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t hash(uint64_t seed, std::string_view s, uint64_t salt = 0) {
  uint64_t h = mix(seed ^ (salt * 0x100000001b3ull));
  for (unsigned char c : s) h = mix(h ^ c);
  return h;
}

std::string random_token() {
  std::random_device rd;
  std::string t = "sbx_";
  static const char* k_hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) t += k_hex[rd() % 16];
  return t;
}

NetPost post_from_json(const json& j) {
  NetPost p;
  p.id = j.at("id");
  p.author = j.at("author");
  p.text = j.at("text");
  p.idempotency_key = j.value("key", "");
  p.reply_to = j.value("reply_to", "");
  p.conversation = j.value("conversation", "");
  p.media = j.value("media", 0);
  p.title = j.value("title", "");
  if (j.contains("options") && j["options"].is_object())
    for (const auto& [k, v] : j["options"].items())
      if (v.is_string()) p.options[k] = v.get<std::string>();
  p.created_at = from_unix(j.at("created_at").get<long long>());
  return p;
}

json post_to_json(const NetPost& p) {
  json j = {{"id", p.id},         {"author", p.author},     {"text", p.text},
            {"key", p.idempotency_key}, {"reply_to", p.reply_to}, {"conversation", p.conversation},
            {"media", p.media},   {"created_at", to_unix(p.created_at)}};
  if (!p.title.empty()) j["title"] = p.title;
  if (!p.options.empty()) j["options"] = p.options;
  return j;
}

// Holds an flock on the network's lock file for its lifetime.
class FileLock {
 public:
  FileLock(const fs::path& path, bool exclusive) {
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0)
      throw Error(ErrorKind::network, "cannot reach the sandbox network at '" + path.string() + "'");
    while (::flock(m_fd, exclusive ? LOCK_EX : LOCK_SH) != 0)
      if (errno != EINTR) throw Error(ErrorKind::transient, "cannot lock the sandbox network");
  }
  ~FileLock() {
    if (m_fd >= 0) ::close(m_fd);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace

Network::Network(fs::path dir, const Clock& clock, uint64_t seed, int64_t speed)
    : m_dir(std::move(dir)), m_clock(clock), m_seed(seed), m_speed(speed < 1 ? 1 : speed) {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
}

json Network::load() {
  fs::path file = m_dir / "network.json";
  std::error_code ec;
  if (!fs::exists(file, ec))
    return {{"accounts", json::object()}, {"posts", json::array()}, {"next_id", 1}};
  auto j = json::parse(read_file(file), nullptr, false);
  if (j.is_discarded())
    throw Error(ErrorKind::permanent, "the sandbox network's file is corrupt: " + file.string(),
                "delete it to start a fresh sandbox network");
  return j;
}

void Network::save(const json& state) { write_file_atomic(m_dir / "network.json", state.dump()); }

template <typename F>
auto Network::with_state(bool write, F&& body) {
  FileLock lock(m_dir / "network.lock", write);
  json state = load();
  if constexpr (std::is_void_v<decltype(body(state))>) {
    body(state);
    if (write) save(state);
  } else {
    auto result = body(state);
    if (write) save(state);
    return result;
  }
}

std::string Network::register_account(const std::string& handle) {
  std::string token = random_token();
  with_state(true, [&](json& s) {
    auto& a = s["accounts"][handle];
    if (!a.contains("created_at")) a["created_at"] = to_unix(m_clock.now());
    a["tokens"].push_back(token);
  });
  return token;
}

void Network::check_token(const std::string& handle, const std::string& token) {
  bool ok = with_state(false, [&](json& s) {
    if (!s["accounts"].contains(handle)) return false;
    for (const auto& t : s["accounts"][handle]["tokens"])
      if (t == token) return true;
    return false;
  });
  if (!ok)
    throw Error(ErrorKind::auth, "the sandbox network does not know this token for '" + handle + "'",
                "reconnect: crier accounts remove sandbox:" + handle +
                    " && crier accounts add sandbox --handle " + handle);
}

Timestamp Network::account_created(const std::string& handle) {
  return with_state(false, [&](json& s) {
    if (!s["accounts"].contains(handle)) return m_clock.now();
    return from_unix(s["accounts"][handle].value("created_at", to_unix(m_clock.now())));
  });
}

NetPost Network::create_post(NetPost p) {
  return with_state(true, [&](json& s) {
    if (!p.idempotency_key.empty())
      for (const auto& j : s["posts"])
        if (j.value("key", "") == p.idempotency_key && j.value("author", "") == p.author)
          return post_from_json(j);
    int64_t n = s.value("next_id", 1);
    s["next_id"] = n + 1;
    p.id = (p.conversation.empty() ? "sbx-" : "sbx-dm-") + std::to_string(n);
    p.created_at = m_clock.now();
    s["posts"].push_back(post_to_json(p));
    return p;
  });
}

std::optional<NetPost> Network::find_by_key(const std::string& author, const std::string& key) {
  return with_state(false, [&](json& s) -> std::optional<NetPost> {
    for (const auto& j : s["posts"])
      if (j.value("key", "") == key && j.value("author", "") == author) return post_from_json(j);
    return std::nullopt;
  });
}

std::optional<NetPost> Network::find_post(const std::string& id) {
  return with_state(false, [&](json& s) -> std::optional<NetPost> {
    for (const auto& j : s["posts"])
      if (j.value("id", "") == id) return post_from_json(j);
    return std::nullopt;
  });
}

std::vector<Event> Network::events(const std::string& handle) {
  std::vector<NetPost> roots;
  Timestamp joined{};
  with_state(false, [&](json& s) {
    joined = from_unix(s["accounts"].contains(handle)
                           ? s["accounts"][handle].value("created_at", to_unix(m_clock.now()))
                           : to_unix(m_clock.now()));
    for (const auto& j : s["posts"]) {
      NetPost p = post_from_json(j);
      if (p.author == handle && p.reply_to.empty() && p.conversation.empty()) roots.push_back(p);
    }
  });
  Timestamp now = m_clock.now();
  // Simulated minutes become real seconds divided by the speed.
  auto real = [&](int64_t sim_minutes) { return std::chrono::seconds{sim_minutes * 60 / m_speed}; };
  auto follower = [&](uint64_t h) { return k_followers[h % k_followers.size()]; };
  std::vector<Event> out;
  for (const auto& p : roots) {
    uint64_t h = hash(m_seed, p.id);
    int n = static_cast<int>(h % 4);
    int64_t delay = 0;
    for (int k = 0; k < n; ++k) {
      uint64_t hk = hash(m_seed, p.id, static_cast<uint64_t>(k) + 1);
      delay += 2 + static_cast<int64_t>(hk % 40);
      Timestamp at = p.created_at + real(delay);
      if (at > now) break;
      auto [who, name] = follower(hk);
      out.push_back({"reply", p.id + "-r" + std::to_string(k), p.id, p.id, who, name,
                     k_replies[(hk >> 8) % k_replies.size()], at});
    }
  }
  auto periodic = [&](const char* kind, int64_t period_minutes, auto& texts, uint64_t salt) {
    for (int i = 1; i <= 500; ++i) {
      uint64_t hi = hash(m_seed, handle, salt + static_cast<uint64_t>(i));
      Timestamp at = joined + real(i * period_minutes + static_cast<int64_t>(hi % 60));
      if (at > now) break;
      auto [who, name] = follower(hi);
      std::string text = texts[(hi >> 8) % texts.size()];
      if (auto pos = text.find("{me}"); pos != std::string::npos) text.replace(pos, 4, handle);
      std::string id = std::string("sbx-") + kind + "-" + handle + "-" + std::to_string(i);
      std::string thread = std::string(kind) == "dm" ? "sbx-conv-" + std::string(who) : id;
      out.push_back({kind, id, thread, "", who, name, text, at});
    }
  };
  periodic("mention", 240, k_mentions, 1000);
  periodic("dm", 540, k_dms, 2000);
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : a.id < b.id;
  });
  return out;
}

Stats Network::stats(const std::string& post_id) {
  auto post = find_post(post_id);
  if (!post) throw Error(ErrorKind::not_found, "the sandbox network has no post '" + post_id + "'");
  uint64_t h = hash(m_seed, post_id, 77);
  double hours = std::max<double>(0, static_cast<double>((m_clock.now() - post->created_at).count()) *
                                         static_cast<double>(m_speed) / 3600.0);
  auto grow = [&](double max, double tau) {
    return static_cast<int64_t>(std::floor(max * (1.0 - std::exp(-hours / tau))));
  };
  Stats s;
  double max_likes = 3 + static_cast<double>(h % 60);
  s.likes = grow(max_likes, 6);
  s.reposts = grow(max_likes / 6, 8);
  s.quotes = hours > 2 && h % 3 == 0 ? 1 : 0;
  s.views = s.likes * 17 + grow(static_cast<double>(h % 200), 3);
  for (const auto& e : events(post->author))
    if (e.kind == "reply" && e.parent_id == post_id) ++s.replies;
  return s;
}

int64_t Network::post_count(const std::string& handle) {
  return with_state(false, [&](json& s) {
    int64_t n = 0;
    for (const auto& j : s["posts"])
      if (j.value("author", "") == handle && j.value("conversation", "").empty()) ++n;
    return n;
  });
}

int64_t Network::followers(const std::string& handle) {
  uint64_t h = hash(m_seed, handle, 99);
  double hours = static_cast<double>((m_clock.now() - account_created(handle)).count()) *
                 static_cast<double>(m_speed) / 3600.0;
  return 120 + static_cast<int64_t>(h % 300) + static_cast<int64_t>(std::max(0.0, hours) / 3) +
         4 * post_count(handle);
}

}  // namespace crier::sandbox
