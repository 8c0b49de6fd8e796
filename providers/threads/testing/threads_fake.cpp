#include "providers/threads/testing/threads_fake.hpp"

#include <chrono>
#include <thread>

#include "fakes/cassette.hpp"
#include "http/transport.hpp"
#include "paths.hpp"
#include "providers/meta/testing/graph_fake.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;
using namespace graph_fake;

json recorded(const std::string& file) {
  return json::parse(read_file(recorded_fixtures_dir() / file));
}

// "2024-01-01T18:20:00+0000", as Graph writes times.
}  // namespace

ThreadsFake::ThreadsFake() {
  const std::string dir = "restfb/src/test/resources/json/threads/";
  m_profile = recorded(dir + "basic-profile.json");
  m_profile["id"] = k_user_id;
  m_profile["username"] = k_user;
  m_media = recorded(dir + "basic-media.json");
  m_reply = recorded(dir + "basic-reply.json");
  m_quota = recorded(dir + "basic-quota.json");
  m_error = recorded(dir + "exception.json");
  routes();
  m_url = m_server.start();
}

std::string ThreadsFake::next_id() { return std::to_string(++m_next); }

bool ThreadsFake::authorized(const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : param(req, "access_token");
  if (token == m_token && !token.empty()) return true;
  send(res,
       json{{"error",
             {{"message", "Error validating access token " + (echo_secrets ? token : std::string()) +
                              ": Session has expired or the token is invalid."},
              {"type", "OAuthException"},
              {"code", 190},
              {"fbtrace_id", "AbCdEfFake"}}}},
       400);
  return false;
}

json ThreadsFake::post_view(const json& p, const std::string& fields) const {
  json out = {{"id", p["id"]}};
  std::string f = "," + fields + ",";
  for (const char* key : {"text", "timestamp", "media_type", "permalink", "shortcode", "username", "owner",
                          "is_reply", "replied_to", "root_post", "hide_status", "media_product_type"}) {
    if (f.find(std::string(",") + key + ",") != std::string::npos && p.contains(key)) out[key] = p[key];
  }
  if (f.find(",children") != std::string::npos && p.contains("children")) out["children"] = p["children"];
  return out;
}

std::string ThreadsFake::fetch_image(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return "not a URL";
  try {
    auto http = make_curl_transport();
    HttpRequest q{"GET", url, {}, ""};
    HttpResponse r = http->send(q);
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    const std::string& b = r.body;
    bool png = b.size() > 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
    bool jpeg = b.size() > 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8;
    return png || jpeg ? "" : "not a JPEG or PNG";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string ThreadsFake::add_reply(const std::string& parent, const std::string& author, const std::string& text) {
  std::lock_guard l(m_mutex);
  json r = m_reply;
  std::string id = next_id();
  std::string root = parent;
  for (const auto& p : m_posts)
    if (p["id"] == parent && p.contains("root_post")) root = p["root_post"]["id"];
  r["id"] = id;
  r["text"] = text;
  r["username"] = author;
  r["ts"] = unix_now();
  r["timestamp"] = graph_time(unix_now());
  r["replied_to"] = {{"id", parent}};
  r["root_post"] = {{"id", root}};
  r["is_reply"] = true;
  r["hide_status"] = "NOT_HUSHED";
  r["has_replies"] = false;
  r["permalink"] = "https://www.threads.net/@" + author + "/post/" + id;
  m_posts.push_back(r);
  return id;
}

std::string ThreadsFake::add_mention(const std::string& author, const std::string& text) {
  std::lock_guard l(m_mutex);
  json m = m_media;
  std::string id = next_id();
  m["id"] = id;
  m["text"] = text;
  m["username"] = author;
  m["owner"] = {{"id", "99"}};
  m["ts"] = unix_now();
  m["timestamp"] = graph_time(unix_now());
  m["permalink"] = "https://www.threads.net/@" + author + "/post/" + id;
  m["mention"] = true;
  m.erase("allowlisted_country_codes");
  m_posts.push_back(m);
  return id;
}

std::string ThreadsFake::add_own_post(const std::string& text, int age_seconds) {
  std::lock_guard l(m_mutex);
  json m = m_media;
  std::string id = next_id();
  m["id"] = id;
  m["text"] = text;
  m["username"] = k_user;
  m["owner"] = {{"id", k_user_id}};
  m["ts"] = unix_now() - age_seconds;
  m["timestamp"] = graph_time(unix_now() - age_seconds);
  m["permalink"] = "https://www.threads.net/@" + std::string(k_user) + "/post/" + id;
  m["is_reply"] = false;
  m.erase("allowlisted_country_codes");
  m_posts.push_back(m);
  return id;
}

void ThreadsFake::set_insights(const std::string& id, int views, int likes, int replies, int reposts, int quotes) {
  std::lock_guard l(m_mutex);
  m_insights[id] = {{"views", views}, {"likes", likes}, {"replies", replies}, {"reposts", reposts},
                    {"quotes", quotes}, {"shares", 0}};
}

std::vector<json> ThreadsFake::our_posts() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& p : m_posts)
    if (p.value("username", "") == k_user) out.push_back(p);
  return out;
}

void ThreadsFake::routes() {
  auto& s = m_server.server();
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (echo_secrets) res.set_header("X-Debug-Authorization", req.get_header_value("Authorization"));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string v = "/v1.0";

  // Signing in with the browser: the authorization page sends the browser back with a code,
  // which is exchanged for a short-lived token, exchanged in turn for a long-lived one.
  s.Get("/oauth/authorize", [](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_id") != k_app_id || param(req, "response_type") != "code") {
      res.status = 400;
      return;
    }
    res.status = 302;
    res.set_header("Location", param(req, "redirect_uri") + "?code=fake-threads-code&state=" + param(req, "state"));
  });
  s.Post("/oauth/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_secret") != k_app_secret || param(req, "code") != "fake-threads-code" ||
        param(req, "grant_type") != "authorization_code") {
      send(res, json{{"error", {{"message", "Invalid verification code format."}, {"type", "OAuthException"}, {"code", 100}}}},
           400);
      return;
    }
    send(res, json{{"access_token", "THQVJfake-short-lived-token"}, {"user_id", k_user_id}});
  });
  s.Get("/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (param(req, "grant_type") != "th_exchange_token" || param(req, "client_secret") != k_app_secret ||
        param(req, "access_token") != "THQVJfake-short-lived-token") {
      send(res, json{{"error", {{"message", "Invalid token exchange"}, {"type", "OAuthException"}, {"code", 190}}}}, 400);
      return;
    }
    json t = recorded("python-facebook/testdata/base/threads_user_long_lived_token.json");
    t["access_token"] = m_token;
    send(res, t);
  });

  s.Get(v + "/me", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    send(res, m_profile);
  });

  s.Get("/refresh_access_token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (param(req, "grant_type") != "th_refresh_token") {
      send(res, json{{"error", {{"message", "Unsupported grant_type"}, {"type", "OAuthException"}, {"code", 100}}}},
           400);
      return;
    }
    if (!authorized(req, res)) return;
    if (!m_refresh_allowed) {
      send(res,
           json{{"error",
                 {{"message", "Tokens can only be refreshed once they are at least 24 hours old"},
                  {"type", "OAuthException"},
                  {"code", 100}}}},
           400);
      return;
    }
    json t = recorded("python-facebook/testdata/base/threads_user_long_lived_token.json");
    m_token = std::string(k_token) + "-r" + std::to_string(++m_refreshes);
    t["access_token"] = m_token;
    send(res, t);
  });

  s.Get(v + R"(/(\d+)/threads_publishing_limit)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json row = m_quota;
    row["quota_usage"] = m_quota_used;
    row["config"] = {{"quota_total", 250}, {"quota_duration", 86400}};
    row["reply_quota_usage"] = m_reply_quota_used;
    send(res, json{{"data", json::array({row})}});
  });

  s.Post(v + R"(/(\d+)/threads)", [this](const httplib::Request& req, httplib::Response& res) {
    std::string image_url;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      image_url = param(req, "image_url");
    }
    // Threads fetches the image while making the container (outside the lock: it may be slow).
    std::string why = image_url.empty() ? "" : fetch_image(image_url);
    std::lock_guard l(m_mutex);
    auto fail = [&](const std::string& message, int code, int sub) {
      json e = m_error;
      e["error"]["message"] = message;
      e["error"]["code"] = code;
      if (sub) e["error"]["error_subcode"] = sub;
      else e["error"].erase("error_subcode");
      send(res, e, 400);
    };
    if (req.matches[1] != k_user_id) return fail("Unsupported post request.", 100, 33);
    std::string type = param(req, "media_type"), text = param(req, "text");
    if (type != "TEXT" && type != "IMAGE" && type != "CAROUSEL" && type != "VIDEO")
      return fail("Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}", 100, 0);
    if (codepoints(text) > 500) return fail("Param text must be at most 500 characters long.", 100, 0);
    if (type == "TEXT" && text.empty()) return fail("Param text is required for TEXT posts.", 100, 0);
    if (type == "IMAGE" && image_url.empty()) return fail("Param image_url is required.", 100, 0);
    if (!why.empty())
      return fail("Media download has failed.: The media could not be fetched from the URI (" + why + ")", 9004,
                  2207052);
    std::string reply_to = param(req, "reply_to_id");
    if (!reply_to.empty()) {
      bool known = false;
      for (const auto& p : m_posts) known = known || p["id"] == reply_to;
      if (!known) return fail("The requested resource does not exist", 100, 33);
    }
    json children = json::array();
    if (type == "CAROUSEL") {
      std::string list = param(req, "children");
      size_t start = 0;
      while (start <= list.size() && !list.empty()) {
        size_t comma = list.find(',', start);
        std::string id = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto it = m_containers.find(id);
        if (it == m_containers.end() || !it->second["carousel_item"].get<bool>())
          return fail("Param children contains an invalid container id", 100, 0);
        children.push_back(id);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      if (children.size() < 2 || children.size() > 20)
        return fail("A carousel must have between 2 and 20 items", 100, 0);
    }
    std::string id = next_id();
    m_containers[id] = {{"status", "IN_PROGRESS"},
                        {"polls", 0},
                        {"media_type", type},
                        {"text", text},
                        {"reply_to", reply_to},
                        {"children", children},
                        {"carousel_item", param(req, "is_carousel_item") == "true"},
                        {"alt_text", param(req, "alt_text")},
                        {"image_url", image_url}};
    if (m_processing_polls == 0) m_containers[id]["status"] = "FINISHED";
    if (m_lose_container) {
      m_lose_container = false;
      send(res, json{{"error", {{"message", "An unknown error occurred"}, {"code", 1}, {"type", "OAuthException"}}}},
           500);
      return;
    }
    send(res, json{{"id", id}});
  });

  s.Post(v + R"(/(\d+)/threads_publish)", [this](const httplib::Request& req, httplib::Response& res) {
    int hold = 0;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      std::string cid = param(req, "creation_id");
      auto it = m_containers.find(cid);
      auto fail = [&](const std::string& message, int code, int sub) {
        json e = m_error;
        e["error"]["message"] = message;
        e["error"]["code"] = code;
        e["error"]["error_subcode"] = sub;
        send(res, e, 400);
      };
      if (it == m_containers.end()) return fail("The requested resource does not exist", 100, 33);
      json& c = it->second;
      if (c["status"] == "PUBLISHED") return fail("The media has already been published", 100, 4279009);
      if (c["status"] != "FINISHED") return fail("The media is not ready to be published", 24, 4279009);
      bool reply = !c["reply_to"].get<std::string>().empty();
      if (!reply && m_quota_used >= 250)
        return fail("You have reached the limit of posts you can publish in 24 hours", 4, 0);
      json m = m_media;
      std::string id = next_id();
      std::string type = c["media_type"];
      m["id"] = id;
      m["text"] = c["text"];
      m["username"] = k_user;
      m["owner"] = {{"id", k_user_id}};
      m["ts"] = unix_now();
      m["timestamp"] = graph_time(unix_now());
      m["media_type"] = type == "TEXT" ? "TEXT_POST" : type == "CAROUSEL" ? "CAROUSEL_ALBUM" : type;
      m["permalink"] = "https://www.threads.net/@" + std::string(k_user) + "/post/" + id;
      m["shortcode"] = "C" + id.substr(id.size() - 6);
      m["is_reply"] = reply;
      m["container"] = cid;
      m.erase("allowlisted_country_codes");
      if (reply) {
        std::string parent = c["reply_to"];
        std::string root = parent;
        for (const auto& p : m_posts)
          if (p["id"] == parent && p.contains("root_post")) root = p["root_post"]["id"];
        m["replied_to"] = {{"id", parent}};
        m["root_post"] = {{"id", root}};
        ++m_reply_quota_used;
      } else {
        ++m_quota_used;
      }
      if (type == "CAROUSEL") {
        json kids = json::array();
        for (const auto& k : c["children"]) kids.push_back({{"id", k}});
        m["children"] = {{"data", kids}};
      }
      m_posts.push_back(m);
      c["status"] = "PUBLISHED";
      if (m_lose) {
        m_lose = false;
        send(res, json{{"error", {{"message", "An unexpected error has occurred."}, {"code", 2}, {"type", "OAuthException"}}}},
             500);
        return;
      }
      hold = m_hold_ms;
      m_hold_ms = 0;
      send(res, json{{"id", id}});
    }
    if (hold > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold));
  });

  // The account's own posts (/threads), own replies (/replies on the user), a post's top-level
  // replies (/replies on a post) and whole conversation.
  auto list_of = [this](const httplib::Request& req, httplib::Response& res, const std::string& what) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    long long since = req.has_param("since") ? std::atoll(param(req, "since").c_str()) : 0;
    std::string fields = param(req, "fields");
    bool on_user = id == k_user_id;
    json data = json::array();
    std::vector<json> picked;
    for (const auto& p : m_posts) {
      if (p["ts"].get<long long>() < since) continue;
      bool ours = p.value("username", "") == k_user;
      bool reply = p.value("is_reply", false);
      if (what == "threads" && on_user && ours && !reply && !p.value("mention", false)) picked.push_back(p);
      if (what == "replies" && on_user && ours && reply) picked.push_back(p);
      if (what == "replies" && !on_user && reply && p["replied_to"]["id"] == id) picked.push_back(p);
      if (what == "conversation" && reply && p["root_post"]["id"] == id) picked.push_back(p);
      if (what == "mentions" && on_user && p.value("mention", false)) picked.push_back(p);
    }
    bool oldest_first = what == "conversation" && param(req, "reverse") == "false";
    if (!oldest_first) std::reverse(picked.begin(), picked.end());  // newest first
    for (const auto& p : picked) {
      json view = post_view(p, fields);
      if (m_hidden.count(p["id"])) view["hide_status"] = "HIDDEN";
      data.push_back(view);
    }
    send(res, json{{"data", data}, {"paging", {{"cursors", {{"before", "BEFORE_CURSOR"}, {"after", "AFTER_CURSOR"}}}}}});
  };
  for (std::string what : {"threads", "replies", "conversation", "mentions"})
    s.Get(v + R"(/(\d+)/)" + what,
          [list_of, what](const httplib::Request& req, httplib::Response& res) { list_of(req, res, what); });

  s.Get(v + R"(/(\d+)/insights)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    bool known = false;
    for (const auto& p : m_posts) known = known || p["id"] == id;
    if (!known) {
      send(res, m_error, 400);
      return;
    }
    json counts = m_insights.count(id) ? m_insights[id] : json::object();
    json data = json::array();
    std::string metrics = param(req, "metric") + ",";
    for (size_t a = 0, b; (b = metrics.find(',', a)) != std::string::npos; a = b + 1) {
      std::string name = metrics.substr(a, b - a);
      if (name.empty()) continue;
      data.push_back({{"name", name},
                      {"period", "lifetime"},
                      {"values", json::array({{{"value", counts.value(name, 0)}}})},
                      {"title", name},
                      {"description", "Fake " + name},
                      {"id", id + "/insights/" + name + "/lifetime"}});
    }
    send(res, json{{"data", data}});
  });

  s.Get(v + R"(/(\d+)/threads_insights)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    send(res, json{{"data", json::array({{{"name", "followers_count"},
                                          {"period", "day"},
                                          {"title", "followers_count"},
                                          {"description", "Your followers"},
                                          {"total_value", {{"value", m_followers}}},
                                          {"id", std::string(k_user_id) + "/insights/followers_count/day"}}})}});
  });

  s.Post(v + R"(/(\d+)/manage_reply)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    if (param(req, "hide") == "true") m_hidden.insert(id);
    else m_hidden.erase(id);
    send(res, json{{"success", true}});
  });

  s.Get(v + R"(/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    if (auto it = m_containers.find(id); it != m_containers.end()) {
      json& c = it->second;
      if (c["status"] == "IN_PROGRESS" && c["polls"].get<int>() + 1 >= m_processing_polls) c["status"] = "FINISHED";
      c["polls"] = c["polls"].get<int>() + 1;
      json out = {{"id", id}, {"status", c["status"]}};
      if (c["status"] == "ERROR") out["error_message"] = "FAILED_PROCESSING";
      send(res, out);
      return;
    }
    for (const auto& p : m_posts)
      if (p["id"] == id) {
        send(res, post_view(p, param(req, "fields")));
        return;
      }
    send(res, m_error, 400);
  });
}

}  // namespace crier::testing
