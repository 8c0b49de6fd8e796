#include "providers/bluesky/testing/bluesky_fake.hpp"

#include <chrono>

#include "clock.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;

thread_local std::string t_echo;  // what an error repeats back, in echo mode

void error(httplib::Response& res, int status, const std::string& name, const std::string& message) {
  res.status = status;
  std::string m = t_echo.empty() ? message : message + " (you sent: " + t_echo + ")";
  res.set_content(json{{"error", name}, {"message", m}, {"debug", {{"authorization", t_echo}}}}.dump(),
                  "application/json");
}

}  // namespace

BlueskyFake::BlueskyFake(bool echo_secrets, std::string prefix, std::string password)
    : m_echo(echo_secrets), m_prefix(std::move(prefix)), m_password(std::move(password)) {
  m_access = m_prefix + "access-1";
  m_refresh = m_prefix + "refresh-1";
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_echo.clear();
    if (!m_echo) return httplib::Server::HandlerResponse::Unhandled;
    std::string auth = req.get_header_value("Authorization");
    auto body = json::parse(req.body, nullptr, false);
    t_echo = auth.empty() && body.is_object() ? body.value("password", "") : auth;
    res.set_header("X-Debug-Authorization", auth);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  routes();
  m_url = m_server.start();
}

std::string BlueskyFake::new_cid() { return "bafyreifake" + std::to_string(++m_serial); }

std::string BlueskyFake::new_time() {
  // Strictly increasing, so newest-first ordering is unambiguous.
  auto t = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string s = format_utc(t);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", m_serial % 1000);
  return s.substr(0, 19) + ms;
}

bool BlueskyFake::authed(const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  if (auth == "Bearer " + m_access) return true;
  if (auth.rfind("Bearer expired-", 0) == 0 || auth.rfind("Bearer " + m_prefix + "access-", 0) == 0) {
    error(res, 400, "ExpiredToken", "Token has expired");
    return false;
  }
  error(res, 401, "AuthMissing", "Authentication Required");
  return false;
}

void BlueskyFake::routes() {
  auto& s = m_server.server();
  s.Post("/xrpc/com.atproto.server.createSession", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    ++m_sessions;
    auto b = json::parse(req.body, nullptr, false);
    if (!b.is_object() || b.value("identifier", "") != k_handle || b.value("password", "") != m_password) {
      error(res, 401, "AuthenticationRequired", "Invalid identifier or password");
      return;
    }
    m_access = m_prefix + "access-" + std::to_string(++m_serial);
    m_refresh = m_prefix + "refresh-" + std::to_string(m_serial);
    res.set_content(json{{"did", k_did}, {"handle", k_handle}, {"accessJwt", m_access}, {"refreshJwt", m_refresh}, {"active", true}}.dump(),
                    "application/json");
  });
  s.Post("/xrpc/com.atproto.server.refreshSession", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (req.get_header_value("Authorization") != "Bearer " + m_refresh) {
      error(res, 400, "ExpiredToken", "Token has been revoked");
      return;
    }
    m_access = m_prefix + "access-" + std::to_string(++m_serial);
    m_refresh = m_prefix + "refresh-" + std::to_string(m_serial);
    res.set_content(json{{"did", k_did}, {"handle", k_handle}, {"accessJwt", m_access}, {"refreshJwt", m_refresh}}.dump(),
                    "application/json");
  });
  s.Get("/xrpc/com.atproto.server.getSession", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    res.set_content(json{{"did", k_did}, {"handle", k_handle}}.dump(), "application/json");
  });
  s.Get("/xrpc/com.atproto.identity.resolveHandle", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    auto it = m_dids.find(req.get_param_value("handle"));
    if (it == m_dids.end()) {
      error(res, 400, "InvalidRequest", "Unable to resolve handle");
      return;
    }
    res.set_content(json{{"did", it->second}}.dump(), "application/json");
  });
  s.Post("/xrpc/com.atproto.repo.uploadBlob", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    if (req.body.size() > 1'000'000) {
      error(res, 400, "BlobTooLarge", "This file is too large");
      return;
    }
    res.set_content(json{{"blob", {{"$type", "blob"}, {"ref", {{"$link", "bafkrei" + std::to_string(++m_serial)}}},
                                   {"mimeType", req.get_header_value("Content-Type")}, {"size", req.body.size()}}}}.dump(),
                    "application/json");
  });
  s.Post("/xrpc/com.atproto.repo.createRecord", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    auto b = json::parse(req.body, nullptr, false);
    std::string rkey = b.value("rkey", "r" + std::to_string(m_serial + 1));
    std::string uri = "at://" + b.value("repo", "") + "/" + b.value("collection", "") + "/" + rkey;
    for (const auto& r : m_records)
      if (r["uri"] == uri) {
        error(res, 400, "InvalidRequest", "Record already exists at " + uri);
        return;
      }
    if (b["record"].value("text", "").size() > 3000) {
      error(res, 400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 graphemes");
      return;
    }
    json rec = {{"uri", uri}, {"cid", new_cid()}, {"value", b["record"]}, {"author", k_handle}};
    m_records.push_back(rec);
    if (m_lose_create) {
      m_lose_create = false;
      res.status = 502;
      res.set_content("Bad Gateway", "text/plain");
      return;
    }
    res.set_content(json{{"uri", rec["uri"]}, {"cid", rec["cid"]}}.dump(), "application/json");
  });
  s.Get("/xrpc/com.atproto.repo.getRecord", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    std::string uri = "at://" + req.get_param_value("repo") + "/" + req.get_param_value("collection") + "/" +
                      req.get_param_value("rkey");
    for (const auto& r : m_records)
      if (r["uri"] == uri) {
        res.set_content(json{{"uri", r["uri"]}, {"cid", r["cid"]}, {"value", r["value"]}}.dump(), "application/json");
        return;
      }
    error(res, 400, "RecordNotFound", "Could not locate record: " + uri);
  });
  s.Get("/xrpc/app.bsky.notification.listNotifications", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 50;
    size_t start = req.has_param("cursor") ? std::stoul(req.get_param_value("cursor")) : 0;  // offset from newest
    json page = json::array();
    size_t i = start;
    for (; i < m_notifications.size() && page.size() < limit; ++i) page.push_back(m_notifications[m_notifications.size() - 1 - i]);
    json out = {{"notifications", page}};
    if (i < m_notifications.size()) out["cursor"] = std::to_string(i);
    res.set_content(out.dump(), "application/json");
  });
  s.Get("/xrpc/app.bsky.feed.getPosts", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    size_t n = req.get_param_value_count("uris");
    if (n > 25) {
      error(res, 400, "InvalidRequest", "uris must not have more than 25 elements");
      return;
    }
    json posts = json::array();
    for (size_t i = 0; i < n; ++i) {
      std::string uri = req.get_param_value("uris", i);
      json c = m_counts.count(uri) ? m_counts[uri] : json{{"likeCount", 0}, {"repostCount", 0}, {"replyCount", 0}, {"quoteCount", 0}};
      c["uri"] = uri;
      posts.push_back(c);
    }
    res.set_content(json{{"posts", posts}}.dump(), "application/json");
  });
  s.Get("/xrpc/app.bsky.actor.getProfile", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!authed(req, res)) return;
    int posts = 0;
    for (const auto& r : m_records)
      if (r["author"] == k_handle) ++posts;
    res.set_content(json{{"did", req.get_param_value("actor")}, {"handle", k_handle}, {"followersCount", 42},
                         {"followsCount", 7}, {"postsCount", posts}}.dump(),
                    "application/json");
  });
  auto chat_ok = [this](const httplib::Request& req, httplib::Response& res) {
    if (!authed(req, res)) return false;
    if (req.get_header_value("atproto-proxy") != k_chat) {
      error(res, 400, "InvalidRequest", "missing or wrong atproto-proxy header");
      return false;
    }
    return true;
  };
  s.Get("/xrpc/chat.bsky.convo.listConvos", [this, chat_ok](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!chat_ok(req, res)) return;
    res.set_content(json{{"convos", m_convos}}.dump(), "application/json");
  });
  s.Post("/xrpc/chat.bsky.convo.sendMessage", [this, chat_ok](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(m_mutex);
    if (!chat_ok(req, res)) return;
    auto b = json::parse(req.body, nullptr, false);
    json msg = {{"id", "msg" + std::to_string(++m_serial)}, {"text", b["message"].value("text", "")},
                {"sender", {{"did", k_did}}}, {"sentAt", new_time()}, {"convoId", b.value("convoId", "")}};
    m_sent.push_back(msg);
    res.set_content(msg.dump(), "application/json");
  });
}

std::string BlueskyFake::add_reply(const std::string& handle, const std::string& text, const std::string& parent_uri) {
  std::lock_guard<std::mutex> l(m_mutex);
  json parent, root;
  for (const auto& r : m_records)
    if (r["uri"] == parent_uri) {
      parent = {{"uri", r["uri"]}, {"cid", r["cid"]}};
      root = r["value"].contains("reply") ? r["value"]["reply"]["root"] : parent;
    }
  std::string uri = "at://" + m_dids[handle] + "/app.bsky.feed.post/reply" + std::to_string(++m_serial);
  json record = {{"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", new_time()},
                 {"reply", {{"root", root}, {"parent", parent}}}};
  std::string cid = new_cid();
  m_records.push_back({{"uri", uri}, {"cid", cid}, {"value", record}, {"author", handle}});
  m_notifications.push_back({{"uri", uri}, {"cid", cid}, {"author", {{"did", m_dids[handle]}, {"handle", handle}, {"displayName", handle}}},
                             {"reason", "reply"}, {"reasonSubject", parent_uri}, {"record", record}, {"isRead", false},
                             {"indexedAt", new_time()}});
  return uri;
}

std::string BlueskyFake::add_mention(const std::string& handle, const std::string& text) {
  std::lock_guard<std::mutex> l(m_mutex);
  std::string uri = "at://" + m_dids[handle] + "/app.bsky.feed.post/mention" + std::to_string(++m_serial);
  json record = {{"$type", "app.bsky.feed.post"}, {"text", "@alice.test " + text}, {"createdAt", new_time()}};
  std::string cid = new_cid();
  m_records.push_back({{"uri", uri}, {"cid", cid}, {"value", record}, {"author", handle}});
  m_notifications.push_back({{"uri", uri}, {"cid", cid}, {"author", {{"did", m_dids[handle]}, {"handle", handle}}},
                             {"reason", "mention"}, {"record", record}, {"isRead", false}, {"indexedAt", new_time()}});
  // Likes and follows arrive as notifications too; crier must ignore them.
  m_notifications.push_back({{"uri", "at://" + m_dids[handle] + "/app.bsky.feed.like/l" + std::to_string(++m_serial)},
                             {"cid", new_cid()}, {"author", {{"did", m_dids[handle]}, {"handle", handle}}},
                             {"reason", "like"}, {"record", json::object()}, {"isRead", false}, {"indexedAt", new_time()}});
  return uri;
}

std::string BlueskyFake::add_dm(const std::string& handle, const std::string& text) {
  std::lock_guard<std::mutex> l(m_mutex);
  std::string id = "msg" + std::to_string(++m_serial);
  json convo = {{"id", "convo-" + handle},
                {"members", json::array({{{"did", k_did}, {"handle", k_handle}}, {{"did", m_dids[handle]}, {"handle", handle}}})},
                {"lastMessage", {{"id", id}, {"text", text}, {"sender", {{"did", m_dids[handle]}}}, {"sentAt", new_time()}}}};
  for (auto& c : m_convos)
    if (c["id"] == convo["id"]) {
      c = convo;
      return id;
    }
  m_convos.push_back(convo);
  return id;
}

void BlueskyFake::set_counts(const std::string& uri, int likes, int reposts, int replies, int quotes) {
  std::lock_guard<std::mutex> l(m_mutex);
  m_counts[uri] = {{"likeCount", likes}, {"repostCount", reposts}, {"replyCount", replies}, {"quoteCount", quotes}};
}

std::vector<nlohmann::json> BlueskyFake::our_posts() {
  std::lock_guard<std::mutex> l(m_mutex);
  std::vector<json> out;
  for (const auto& r : m_records)
    if (r["author"] == k_handle) out.push_back(r);
  return out;
}

}  // namespace crier::testing
