#include "providers/mastodon/testing/mastodon_fake.hpp"

#include <chrono>
#include <thread>

#include "clock.hpp"
#include "fakes/cassette.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&#39;";
    else if (c == '\n') out += "<br />";
    else out += c;
  }
  return out;
}

bool id_less(const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() < b.size() : a < b; }

std::string now_iso() {
  return format_utc(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace

MastodonFake::MastodonFake() {
  m_me = json::parse(recorded_body("test_verify_credentials.yaml", "GET", "verify_credentials"));
  m_instance = json::parse(recorded_body("test_instance.yaml", "GET", "/api/v2/instance"));
  m_template = json::parse(recorded_body("test_status_post[None-public].yaml", "POST", "/api/v1/statuses"));
  routes();
  m_url = m_server.start();
}

std::string MastodonFake::next_id() { return std::to_string(++m_next); }

json MastodonFake::make_status(const json& account, const std::string& text, const std::string& visibility,
                               const std::string& in_reply_to, const std::string& in_reply_to_account) {
  json st = m_template;
  st["id"] = next_id();
  st["created_at"] = now_iso();
  st["content"] = "<p>" + html_escape(text) + "</p>";
  st["visibility"] = visibility;
  st["in_reply_to_id"] = in_reply_to.empty() ? json(nullptr) : json(in_reply_to);
  st["in_reply_to_account_id"] = in_reply_to_account.empty() ? json(nullptr) : json(in_reply_to_account);
  st["account"] = account;
  st["url"] = m_url + "/@" + account["acct"].get<std::string>() + "/" + st["id"].get<std::string>();
  st["media_attachments"] = json::array();
  st["favourites_count"] = 0;
  st["reblogs_count"] = 0;
  st["replies_count"] = 0;
  return st;
}

bool MastodonFake::authorized(const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value("Authorization") == "Bearer " + m_token) return true;
  res.status = 401;
  res.set_content(json{{"error", "The access token is invalid" + (echo_secrets ? ": " + req.get_header_value("Authorization")
                                                                                : std::string())}}.dump(),
                  "application/json");
  return false;
}

void MastodonFake::routes() {
  auto& s = m_server.server();
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (m_latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(m_latency_ms));
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string auth = req.get_header_value("Authorization");
    if (echo_secrets) res.set_header("X-Debug-Authorization", auth);
    if (m_throttle > 0 && req.method == "POST" && req.path == "/api/v1/statuses") {
      m_rng_state = m_rng_state * 1103515245u + 12345u;
      if (static_cast<int>((m_rng_state >> 16) % 100) < m_throttle) {
        ++m_throttled;
        auto reset = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
                     std::chrono::seconds{m_throttle_after};
        res.status = 429;
        res.set_header("Retry-After", std::to_string(m_throttle_after));
        res.set_header("X-RateLimit-Limit", "300");
        res.set_header("X-RateLimit-Remaining", "0");
        res.set_header("X-RateLimit-Reset", format_utc(reset));
        res.set_content(R"({"error":"Too many requests"})", "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    for (auto& f : m_faults) {
      if (f.times > 0 && req.path.rfind(f.path, 0) == 0) {
        --f.times;
        res.status = f.status;
        for (const auto& [k, v] : f.headers) res.set_header(k, v);
        std::string body = f.body;
        if (echo_secrets && body.size() > 2 && body.back() == '}')
          body.insert(body.size() - 1, ",\"request\":{\"authorization\":" + json(auth).dump() + "}");
        res.set_content(body, "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/api/v2/instance", [this](const httplib::Request& req, httplib::Response& res) {
    json inst = m_instance;
    if (echo_secrets) inst["description"] = "Welcome, " + req.get_header_value("Authorization");
    res.set_content(inst.dump(), "application/json");
  });
  s.Post("/api/v1/apps", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("client_name").empty() || req.get_param_value("redirect_uris").empty()) {
      res.status = 422;
      return;
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_redirect_uri = req.get_param_value("redirect_uris");
    json app = {{"id", "1"}, {"name", "crier"}, {"client_id", "cid-123"}, {"client_secret", "csecret-456"},
                {"redirect_uri", m_redirect_uri}, {"redirect_uris", json::array({m_redirect_uri})}};
    res.set_content(app.dump(), "application/json");
  });
  // The user allows the app at once: a redirect to the registered URI with the code (or, for the
  // out-of-band URI, a page that shows it), as Mastodon's Doorkeeper does.
  s.Get("/oauth/authorize", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string redirect = req.get_param_value("redirect_uri");
    if (req.get_param_value("client_id") != "cid-123" || redirect != m_redirect_uri ||
        req.get_param_value("response_type") != "code") {
      res.status = 400;
      res.set_content("The redirect URI included is not valid.", "text/html");
      return;
    }
    if (redirect == "urn:ietf:wg:oauth:2.0:oob") {
      res.set_content("<html><body><input class=\"oauth-code\" value=\"good-code\"></body></html>", "text/html");
      return;
    }
    std::string state = httplib::detail::encode_query_param(req.get_param_value("state"));
    res.status = 302;
    res.set_header("Location", deny_sign_in ? redirect + "?error=access_denied&error_description=The+resource+owner+"
                                                         "denied+the+request.&state=" + state
                                            : redirect + "?code=good-code&state=" + state);
  });
  s.Post("/oauth/token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (req.get_param_value("code") != "good-code" || req.get_param_value("client_secret") != "csecret-456" ||
        req.get_param_value("redirect_uri") != m_redirect_uri) {
      res.status = 400;
      res.set_content(R"({"error":"invalid_grant","error_description":"The provided authorization grant is invalid"})",
                      "application/json");
      return;
    }
    res.set_content(json{{"access_token", m_token}, {"token_type", "Bearer"}, {"scope", "read write"}}.dump(),
                    "application/json");
  });
  s.Get("/api/v1/accounts/verify_credentials", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    json me = m_me;
    me["followers_count"] = 10 + static_cast<int>(m_notifications.size());
    me["statuses_count"] = m_created;
    res.set_content(me.dump(), "application/json");
  });
  s.Post("/api/v1/statuses", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string sent_key = req.get_header_value("Idempotency-Key");
    std::string key = ignore_idempotency ? std::string() : sent_key;
    if (!key.empty() && m_keys.count(key)) {
      for (const auto& st : m_statuses)
        if (st["id"] == m_keys[key]) res.set_content(st.dump(), "application/json");
      return;
    }
    std::string text = req.get_param_value("status");
    if (text.empty() && !req.has_param("media_ids[]")) {
      res.status = 422;
      res.set_content(R"({"error":"Validation failed: Text can't be blank"})", "application/json");
      return;
    }
    if (text.size() > 2000) {
      res.status = 422;
      res.set_content(R"({"error":"Validation failed: Text character limit of 500 exceeded"})", "application/json");
      return;
    }
    std::string reply_to = req.get_param_value("in_reply_to_id");
    std::string reply_account;
    for (const auto& st : m_statuses)
      if (st["id"] == reply_to) reply_account = st["account"]["id"];
    json st = make_status(m_me, text, req.has_param("visibility") ? req.get_param_value("visibility") : "public",
                          reply_to, reply_account);
    if (req.has_param("spoiler_text")) st["spoiler_text"] = req.get_param_value("spoiler_text");
    if (req.has_param("language")) st["language"] = req.get_param_value("language");
    for (size_t i = 0; i < req.get_param_value_count("media_ids[]"); ++i)
      st["media_attachments"].push_back({{"id", req.get_param_value("media_ids[]", i)}, {"type", "image"}});
    m_statuses.push_back(st);
    ++m_created;
    m_made_with[st["id"]] = sent_key;
    if (!key.empty()) m_keys[key] = st["id"];
    if (m_drop_answer) {
      m_drop_answer = false;
      res.set_content_provider(1000, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });  // closes the connection
      return;
    }
    if (m_slow_answer_ms > 0) {
      int ms = m_slow_answer_ms;
      m_slow_answer_ms = 0;
      std::string body = st.dump();
      res.set_content_provider(body.size(), "application/json",
                               [body, ms](size_t offset, size_t length, httplib::DataSink& sink) {
                                 std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                                 sink.write(body.data() + offset, length);
                                 return true;
                               });
      return;
    }
    if (m_garble) {
      m_garble = false;
      res.set_content(m_garbled_body, m_garbled_type);
      return;
    }
    if (m_lose_answer) {
      m_lose_answer = false;
      res.status = 502;
      res.set_content("<html>Bad Gateway</html>", "text/html");
      return;
    }
    res.set_content(st.dump(), "application/json");
  });
  s.Get(R"(/api/v1/statuses/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& st : m_statuses)
      if (st["id"] == req.matches[1].str()) {
        res.set_content(st.dump(), "application/json");
        return;
      }
    res.status = 404;
    res.set_content(R"({"error":"Record not found"})", "application/json");
  });
  s.Get(R"(/api/v1/accounts/(\d+)/statuses)", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    json out = json::array();
    for (auto it = m_statuses.rbegin(); it != m_statuses.rend() && out.size() < 40; ++it)
      if ((*it)["account"]["id"] == req.matches[1].str()) out.push_back(*it);
    res.set_content(out.dump(), "application/json");
  });
  s.Post("/api/v2/media", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    if (!req.has_file("file")) {
      res.status = 422;
      res.set_content(R"({"error":"Validation failed: File can't be blank"})", "application/json");
      return;
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string id = next_id();
    m_media_polls[id] = 0;
    m_media_descriptions[id] = req.get_file_value("description").content;
    res.status = 202;
    res.set_content(json{{"id", id}, {"type", "image"}, {"url", nullptr}, {"description", m_media_descriptions[id]}}.dump(),
                    "application/json");
  });
  s.Get(R"(/api/v1/media/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string id = req.matches[1].str();
    if (m_media_polls[id]++ == 0) {  // still processing on the first look
      res.status = 206;
      res.set_content(json{{"id", id}, {"url", nullptr}}.dump(), "application/json");
      return;
    }
    res.set_content(json{{"id", id}, {"url", m_url + "/media/" + id}}.dump(), "application/json");
  });
  auto paged = [this](const httplib::Request& req, httplib::Response& res, const std::vector<json>& all,
                      const std::string& path, auto id_of) {
    size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 20;
    std::string min_id = req.get_param_value("min_id");
    std::vector<json> newer;  // oldest first
    for (const auto& n : all)
      if (min_id.empty() || id_less(min_id, id_of(n))) newer.push_back(n);
    std::vector<json> page;
    if (min_id.empty()) {  // newest page
      for (auto it = newer.rbegin(); it != newer.rend() && page.size() < limit; ++it) page.push_back(*it);
    } else {  // the page right after min_id, newest first
      for (size_t i = 0; i < newer.size() && i < limit; ++i) page.insert(page.begin(), newer[i]);
    }
    json out = page;
    if (!page.empty())
      res.set_header("Link", "<" + m_url + path + "?max_id=" + id_of(page.back()) + ">; rel=\"next\", <" + m_url + path +
                                 "?min_id=" + id_of(page.front()) + ">; rel=\"prev\"");
    res.set_content(out.dump(), "application/json");
  };
  s.Get("/api/v1/notifications", [this, paged](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    paged(req, res, m_notifications, "/api/v1/notifications", [](const json& n) { return n["id"].get<std::string>(); });
  });
  s.Get("/api/v1/conversations", [this, paged](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    paged(req, res, m_conversations, "/api/v1/conversations",
          [](const json& c) { return c["last_status"]["id"].get<std::string>(); });
  });
}

std::string MastodonFake::add_mention(const std::string& acct, const std::string& text, const std::string& in_reply_to) {
  std::lock_guard<std::mutex> lock(m_mutex);
  json account = {{"id", next_id()}, {"username", acct.substr(0, acct.find('@'))}, {"acct", acct},
                  {"display_name", "Someone " + acct}};
  std::string me_link = "<span class=\"h-card\"><a href=\"" + m_url + "/@" + m_me["username"].get<std::string>() +
                        "\" class=\"u-url mention\">@<span>" + m_me["username"].get<std::string>() + "</span></a></span>";
  json st = make_status(account, text, "public", in_reply_to, in_reply_to.empty() ? "" : m_me["id"].get<std::string>());
  st["content"] = "<p>" + me_link + " " + html_escape(text) + "</p>";
  m_statuses.push_back(st);
  m_notifications.push_back({{"id", next_id()}, {"type", "mention"}, {"created_at", now_iso()}, {"account", account},
                             {"status", st}});
  return st["id"];
}

std::string MastodonFake::add_dm(const std::string& acct, const std::string& text) {
  std::lock_guard<std::mutex> lock(m_mutex);
  json account = {{"id", next_id()}, {"username", acct.substr(0, acct.find('@'))}, {"acct", acct},
                  {"display_name", "Someone " + acct}};
  json st = make_status(account, text, "direct", "", "");
  m_statuses.push_back(st);
  m_conversations.push_back({{"id", next_id()}, {"unread", true}, {"accounts", json::array({account})}, {"last_status", st}});
  return st["id"];
}

std::string MastodonFake::add_own_status(const std::string& text, int age_seconds, const std::string& in_reply_to,
                                         int images, const std::string& spoiler) {
  std::lock_guard<std::mutex> lock(m_mutex);
  json st = make_status(m_me, text, "public", in_reply_to, in_reply_to.empty() ? "" : m_me["id"].get<std::string>());
  auto when = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) -
              std::chrono::seconds{age_seconds};
  st["created_at"] = format_utc(when);
  st["spoiler_text"] = spoiler;
  for (int i = 0; i < images; ++i) st["media_attachments"].push_back({{"id", next_id()}, {"type", "image"}});
  m_statuses.push_back(st);
  return st["id"];
}

void MastodonFake::set_counts(const std::string& id, int favourites, int reblogs, int replies) {
  std::lock_guard<std::mutex> lock(m_mutex);
  for (auto& st : m_statuses)
    if (st["id"] == id) {
      st["favourites_count"] = favourites;
      st["reblogs_count"] = reblogs;
      st["replies_count"] = replies;
    }
}

void MastodonFake::fail(const std::string& path, int status, std::map<std::string, std::string> headers, int times,
                        std::string body) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_faults.push_back({path, status, std::move(headers), times, std::move(body)});
}

std::vector<json> MastodonFake::our_statuses() {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::vector<json> out;
  for (const auto& st : m_statuses)
    if (st["account"]["id"] == m_me["id"]) out.push_back(st);
  return out;
}

std::string MastodonFake::key_of(const std::string& id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_made_with.find(id);
  return it == m_made_with.end() ? "" : it->second;
}

int MastodonFake::statuses_created() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_created;
}

int MastodonFake::media_descriptions(std::vector<std::string>* out) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (out)
    for (const auto& [id, d] : m_media_descriptions) out->push_back(d);
  return static_cast<int>(m_media_descriptions.size());
}

}  // namespace crier::testing
