#include "providers/reddit/testing/reddit_fake.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "fakes/cassette.hpp"
#include "http/transport.hpp"
#include "paths.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;

json recorded(const std::string& file) {
  return json::parse(read_file(recorded_fixtures_dir() / "go-reddit/testdata" / file));
}

void send(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=UTF-8");
}

thread_local std::string t_echo;  // the request's Authorization, quoted by errors in echo mode

void error(httplib::Response& res, int status, const std::string& message) {
  json body{{"message", message}, {"error", status}};
  if (!t_echo.empty()) body["request"] = {{"authorization", t_echo}};
  send(res, body, status);
}

// {"json": {"errors": [[CODE, MESSAGE, FIELD]]}}, as api_type=json answers a refused form.
void form_error(httplib::Response& res, const std::string& code, const std::string& message,
                const std::string& field) {
  send(res, json{{"json", {{"errors", json::array({json::array({code, message, field})})}}}});
}

std::string base36(long long n) {
  std::string s;
  do {
    s.insert(s.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n > 0);
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string RedditFake::credentials() {
  std::lock_guard l(m_mutex);
  return json{{"client_id", k_client_id}, {"client_secret", m_client_secret}, {"password", m_password}}
      .dump();
}

RedditFake::RedditFake() {
  // Templates: real bodies, with our names put in.
  json inbox = recorded("message/inbox.json");
  for (const auto& c : inbox["data"]["children"]) (c["kind"] == "t1" ? m_t1 : m_t4) = c["data"];
  m_t3 = recorded("user/submitted.json")["data"]["children"][0]["data"];
  m_me = recorded("account/info.json");
  m_me["name"] = k_user;
  m_me["subreddit"]["subscribers"] = 42;
  m_requirements = recorded("subreddit/post-requirements.json");
  m_flairs = recorded("flair/post-flairs.json");
  routes();
  m_url = m_server.start();
}

double RedditFake::now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() / 1000.0;
}

std::string RedditFake::next_id() {
  return base36(++m_next * 7919);
}

json RedditFake::listing(const std::vector<json>& children) {
  return json{{"kind", "Listing"},
              {"data",
               {{"modhash", nullptr},
                {"dist", children.size()},
                {"children", children},
                {"after", nullptr},
                {"before", nullptr}}}};
}

bool RedditFake::authorized(const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  std::string token = lower(auth.substr(0, 7)) == "bearer " ? auth.substr(7) : "";
  auto it = m_tokens.find(token);
  if (it == m_tokens.end() || it->second < static_cast<long long>(now())) {
    error(res, 401, "Unauthorized");
    return false;
  }
  return true;
}

std::string RedditFake::add_reply(const std::string& parent, const std::string& author,
                                  const std::string& text) {
  std::lock_guard l(m_mutex);
  json d = m_t1;
  std::string id = next_id();
  bool to_post = parent.rfind("t3_", 0) == 0;
  d["id"] = id;
  d["name"] = "t1_" + id;
  d["author"] = author;
  d["body"] = text;
  d["parent_id"] = parent;
  d["type"] = to_post ? "post_reply" : "comment_reply";
  d["subject"] = to_post ? "post reply" : "comment reply";
  d["subreddit"] = "test";
  d.erase("link_id");  // inbox items carry none (asyncpraw's TestInbox cassettes)
  d["dest"] = k_user;
  d["new"] = true;
  d["created_utc"] = now();
  d["context"] = "/r/test/comments/" + parent.substr(3) + "/x/" + id + "/?context=3";
  m_inbox.push_back({{"kind", "t1"}, {"data", d}});
  return d["name"];
}

std::string RedditFake::add_mention(const std::string& author, const std::string& text) {
  std::string name = add_reply("t3_other", author, text);
  std::lock_guard l(m_mutex);
  m_inbox.back()["data"]["type"] = "username_mention";
  m_inbox.back()["data"]["subject"] = "username mention";
  return name;
}

std::string RedditFake::add_dm(const std::string& author, const std::string& subject,
                               const std::string& text) {
  std::lock_guard l(m_mutex);
  json d = m_t4;
  std::string id = next_id();
  d["id"] = id;
  d["name"] = "t4_" + id;
  d["first_message_name"] = nullptr;
  d["first_message"] = nullptr;
  d["parent_id"] = nullptr;
  d["author"] = author;
  d["subject"] = subject;
  d["body"] = text;
  d["dest"] = k_user;
  d["created_utc"] = now();
  m_inbox.push_back({{"kind", "t4"}, {"data", d}});
  return d["name"];
}

std::string RedditFake::add_own_submission(const std::string& subreddit, const std::string& title,
                                           int age_seconds) {
  std::lock_guard l(m_mutex);
  json d = m_t3;
  std::string id = next_id();
  d["id"] = id;
  d["name"] = "t3_" + id;
  d["subreddit"] = subreddit;
  d["title"] = title;
  d["author"] = k_user;
  d["created_utc"] = now() - age_seconds;
  d["permalink"] = "/r/" + subreddit + "/comments/" + id + "/x/";
  m_submissions.push_back(d);
  return d["name"];
}

void RedditFake::set_score(const std::string& fullname, int score, int comments, double upvote_ratio) {
  std::lock_guard l(m_mutex);
  for (auto& s : m_submissions)
    if (s["name"] == fullname) {
      s["score"] = score;
      s["num_comments"] = comments;
      s["upvote_ratio"] = upvote_ratio;
    }
}

std::vector<json> RedditFake::our_submissions() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& s : m_submissions)
    if (s["author"] == k_user) out.push_back(s);
  return out;
}

int RedditFake::our_comments() {
  std::lock_guard l(m_mutex);
  return static_cast<int>(m_comments.size());
}

void RedditFake::routes() {
  auto& s = m_server.server();
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    t_echo = echo_secrets ? req.get_header_value("Authorization") : "";
    if (echo_secrets) res.set_header("X-Debug-Authorization", req.get_header_value("Authorization"));
    ++m_used;
    res.set_header("X-Ratelimit-Used", std::to_string(m_used));
    res.set_header("X-Ratelimit-Remaining", std::to_string(std::max(0, 600 - m_used)) + ".0");
    res.set_header("X-Ratelimit-Reset", "300");
    // Reddit turns away clients without a User-Agent of its form.
    // (The authorization page is for the user's browser, not for the client.)
    if (req.path != "/api/v1/authorize" &&
        req.get_header_value("User-Agent").find("(by /u/") == std::string::npos) {
      error(res, 429, "Too Many Requests");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // The user allows the installed app at once: back to the redirect URI with a code.
  s.Get("/api/v1/authorize", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (req.get_param_value("client_id") != k_installed_id ||
        req.get_param_value("response_type") != "code" || req.get_param_value("duration") != "permanent" ||
        req.get_param_value("redirect_uri").rfind("http://127.0.0.1:", 0) != 0) {
      res.status = 400;
      res.set_content("<html>invalid request</html>", "text/html");
      return;
    }
    m_redirect = req.get_param_value("redirect_uri");
    res.set_redirect(m_redirect + "?state=" + req.get_param_value("state") + "&code=fake-code");
  });

  s.Post("/api/v1/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    std::string grant = req.get_param_value("grant_type");
    // The installed app, which has no secret.
    if (req.get_header_value("Authorization") ==
        "Basic " + base64_encode(std::string(k_installed_id) + ":")) {
      bool ok = (grant == "authorization_code" && req.get_param_value("code") == "fake-code" &&
                 req.get_param_value("redirect_uri") == m_redirect) ||
                (grant == "refresh_token" && m_refresh.count(req.get_param_value("refresh_token")));
      if (!ok) return send(res, json{{"error", "invalid_grant"}});
      std::string token = "fake-access-" + std::to_string(++m_issued);
      m_tokens[token] = static_cast<long long>(now()) + m_lifetime;
      std::string refresh = grant == "refresh_token" ? req.get_param_value("refresh_token")
                                                     : "fake-refresh-" + std::to_string(m_issued);
      m_refresh[refresh] = true;
      return send(res, json{{"access_token", token},
                            {"token_type", "bearer"},
                            {"expires_in", m_lifetime},
                            {"refresh_token", refresh},
                            {"scope", "identity submit read privatemessages history flair"}});
    }
    // The script app.
    if (req.get_header_value("Authorization") !=
        "Basic " + base64_encode(std::string(k_client_id) + ":" + m_client_secret))
      return error(res, 401, "Unauthorized");
    if (grant != "password") return send(res, json{{"error", "unsupported_grant_type"}}, 400);
    if (req.get_param_value("username") != k_user || req.get_param_value("password") != m_password) {
      json refused{{"error", "invalid_grant"}};
      if (echo_secrets) refused["message"] = "wrong password: " + req.get_param_value("password");
      return send(res, refused);
    }
    std::string token = "fake-access-" + std::to_string(++m_issued);
    m_tokens[token] = static_cast<long long>(now()) + m_lifetime;
    send(res,
         json{{"access_token", token}, {"token_type", "bearer"}, {"expires_in", m_lifetime}, {"scope", "*"}});
  });

  s.Get("/api/v1/me", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (authorized(req, res)) send(res, m_me);
  });

  s.Get(R"(/api/v1/(\w+)/post_requirements)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string sr = lower(req.matches[1]);
    if (sr != "test" && sr != "flairy") return error(res, 404, "Not Found");
    json r = m_requirements;
    r["is_flair_required"] = sr == "flairy";
    r["title_text_min_length"] = nullptr;
    r["title_text_max_length"] = nullptr;
    r["body_text_min_length"] = nullptr;
    r["body_required_strings"] = json::array();
    r["title_required_strings"] = json::array();
    send(res, r);
  });

  s.Get(R"(/r/(\w+)/api/link_flair_v2)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json flairs = json::array();
    if (lower(req.matches[1]) == "flairy")
      for (const char* text : {"Discussion", "News"}) {
        json f = m_flairs[0];
        f["text"] = text;
        f["id"] = std::string("flair-") + lower(text);
        f["mod_only"] = false;
        flairs.push_back(f);
      }
    send(res, flairs);
  });

  s.Post("/api/submit", [this](const httplib::Request& req, httplib::Response& res) {
    int hold = 0;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      std::string sr = req.get_param_value("sr");
      std::string title = req.get_param_value("title");
      if (m_ratelimit) {
        m_ratelimit = false;
        send(res, json{{"json",
                        {{"ratelimit", 125.3},
                         {"errors", json::array({json::array({"RATELIMIT",
                                                              "Looks like you've been doing that a lot. Take "
                                                              "a break for 2 minutes before trying again.",
                                                              "ratelimit"})})}}}});
        return;
      }
      if (lower(sr) != "test" && lower(sr) != "flairy")
        return form_error(res, "SUBREDDIT_NOEXIST", "that community doesn't exist", "sr");
      if (title.empty()) return form_error(res, "NO_TEXT", "we need something here", "title");
      if (title.size() > 300) return form_error(res, "TOO_LONG", "this is too long (max: 300)", "title");
      if (lower(sr) == "flairy" && req.get_param_value("flair_id").empty())
        return form_error(res, "SUBMIT_VALIDATION_FLAIR_REQUIRED", "Your post must contain post flair.",
                          "flair");
      bool image = req.get_param_value("kind") == "image";
      if (image &&
          std::find(m_uploads.begin(), m_uploads.end(), req.get_param_value("url")) == m_uploads.end())
        return form_error(res, "BAD_URL", "the image was not uploaded", "url");
      json d = m_t3;
      std::string id = next_id();
      d["id"] = id;
      d["name"] = "t3_" + id;
      d["subreddit"] = sr;
      d["title"] = title;
      d["author"] = k_user;
      d["selftext"] = req.get_param_value("kind") == "self" ? req.get_param_value("text") : "";
      d["url"] = req.get_param_value("kind") != "self"
                     ? req.get_param_value("url")
                     : "https://www.reddit.com/r/" + sr + "/comments/" + id + "/x/";
      d["permalink"] = "/r/" + sr + "/comments/" + id + "/x/";
      d["created_utc"] = now();
      d["score"] = 1;
      d["num_comments"] = 0;
      d["over_18"] = req.get_param_value("nsfw") == "true";
      d["spoiler"] = req.get_param_value("spoiler") == "true";
      d["link_flair_text"] = req.get_param_value("flair_text");
      d["link_flair_template_id"] = req.get_param_value("flair_id");
      m_submissions.push_back(d);
      if (m_lose) {
        m_lose = false;
        return error(res, 500, "Internal Server Error");
      }
      hold = m_hold_ms;
      m_hold_ms = 0;
      if (image) {  // as Reddit answers an image post: no id, the post comes over a websocket
        send(res, json{{"json",
                        {{"errors", json::array()},
                         {"data",
                          {{"user_submitted_page",
                            "https://www.reddit.com/user/" + std::string(k_user) + "/submitted/"},
                           {"websocket_url", "wss://ws.invalid/" + id}}}}}});
        return;
      }
      json answer = recorded("post/submit.json");
      answer["json"]["data"]["id"] = id;
      answer["json"]["data"]["name"] = "t3_" + id;
      answer["json"]["data"]["url"] = "https://www.reddit.com" + d["permalink"].get<std::string>();
      send(res, answer);
    }
    if (hold > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold));
  });

  // The media lease and the storage it points at (S3 in real life).
  s.Post("/api/media/asset.json", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string key = next_id();
    json fields = json::array();
    for (auto [k, v] : std::map<std::string, std::string>{{"acl", "private"},
                                                          {"key", key},
                                                          {"x-amz-signature", "fake"},
                                                          {"policy", "eyJ"},
                                                          {"success_action_status", "201"},
                                                          {"Content-Type", req.get_param_value("mimetype")}})
      fields.push_back({{"name", k}, {"value", v}});
    send(res, json{{"args",
                    {{"action", "//" + req.get_header_value("Host") + "/media-upload"}, {"fields", fields}}},
                   {"asset",
                    {{"asset_id", key},
                     {"processing_state", "incomplete"},
                     {"payload", {{"filepath", req.get_param_value("filepath")}}},
                     {"websocket_url", "wss://ws.invalid/" + key}}}});
  });
  s.Post("/media-upload", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!req.has_file("key") || !req.has_file("file") || !req.has_file("x-amz-signature") ||
        req.get_file_value("file").content.empty()) {
      res.status = 400;
      res.set_content("<Error><Code>InvalidArgument</Code></Error>", "application/xml");
      return;
    }
    std::string key = req.get_file_value("key").content;
    std::string location = m_url + "/media-upload/" + key;
    m_uploads.push_back(location);
    res.status = 201;
    res.set_header("Location", location);
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>" + location +
                        "</Location><Key>" + key + "</Key></PostResponse>",
                    "application/xml");
  });

  s.Get(R"(/user/(\w+)/submitted)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    size_t limit = std::clamp(std::atoi(req.get_param_value("limit").c_str()), 1, 100);
    std::vector<json> children;
    for (auto it = m_submissions.rbegin(); it != m_submissions.rend() && children.size() < limit; ++it)
      if (lower((*it)["author"]) == lower(req.matches[1]))
        children.push_back({{"kind", "t3"}, {"data", *it}});
    send(res, listing(children));
  });

  s.Get("/message/inbox", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    size_t limit = std::clamp(std::atoi(req.get_param_value("limit").c_str()), 1, 100);
    std::string before = req.get_param_value("before");
    // Newest first; `before`: the page of items just newer than that one.
    size_t end = m_inbox.size();
    size_t start = 0;
    if (!before.empty()) {
      auto it = std::find_if(m_inbox.begin(), m_inbox.end(),
                             [&](const json& i) { return i["data"]["name"] == before; });
      start = it == m_inbox.end() ? m_inbox.size() : static_cast<size_t>(it - m_inbox.begin()) + 1;
      end = std::min(m_inbox.size(), start + limit);
    } else {
      start = m_inbox.size() > limit ? m_inbox.size() - limit : 0;
    }
    std::vector<json> children(m_inbox.begin() + static_cast<long>(start),
                               m_inbox.begin() + static_cast<long>(end));
    std::reverse(children.begin(), children.end());
    send(res, listing(children));
  });

  s.Post("/api/comment", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string parent = req.get_param_value("thing_id");
    std::string text = req.get_param_value("text");
    if (text.empty()) return form_error(res, "NO_TEXT", "we need something here", "text");
    bool known = std::any_of(m_inbox.begin(), m_inbox.end(),
                             [&](const json& i) { return i["data"]["name"] == parent; }) ||
                 std::any_of(m_submissions.begin(), m_submissions.end(),
                             [&](const json& s) { return s["name"] == parent; });
    if (!known) return form_error(res, "DELETED_COMMENT", "that comment has been deleted", "parent");
    bool message = parent.rfind("t4_", 0) == 0;
    json d = message ? m_t4 : m_t1;
    std::string id = next_id();
    d["id"] = id;
    d["name"] = (message ? "t4_" : "t1_") + id;
    d["author"] = k_user;
    d["body"] = text;
    d["parent_id"] = parent;
    d["created_utc"] = now();
    if (!message) d["permalink"] = "/r/test/comments/x/x/" + id + "/";
    m_comments.push_back(d);
    send(res,
         json{{"json",
               {{"errors", json::array()},
                {"data", {{"things", json::array({{{"kind", message ? "t4" : "t1"}, {"data", d}}})}}}}}});
  });

  s.Get("/api/info", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string ids = "," + req.get_param_value("id") + ",";
    std::vector<json> children;
    for (const auto& sub : m_submissions)
      if (ids.find("," + sub["name"].get<std::string>() + ",") != std::string::npos)
        children.push_back({{"kind", "t3"}, {"data", sub}});
    send(res, listing(children));
  });
}

}  // namespace crier::testing
