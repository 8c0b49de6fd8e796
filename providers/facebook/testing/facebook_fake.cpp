#include "providers/facebook/testing/facebook_fake.hpp"

#include <chrono>
#include <thread>

#include "fakes/cassette.hpp"
#include "paths.hpp"
#include "providers/meta/testing/graph_fake.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;
using namespace graph_fake;

json recorded(const std::string& file) {
  return json::parse(read_file(recorded_fixtures_dir() / ("python-facebook/testdata/" + file)));
}

}  // namespace

FacebookFake::FacebookFake() {
  m_pages = recorded("facebook/apidata/users/user_accounts_p1.json");
  m_post_tpl = recorded("facebook/apidata/posts/single_post_data.json");
  m_comment_tpl = recorded("facebook/apidata/comments/comments_p1.json")["data"][0];
  m_created_comment = recorded("facebook/apidata/comments/create_resp.json");
  m_photo_tpl = recorded("facebook/apidata/photos/photo_info_default.json");
  m_error = recorded("error.json");
  routes();
  m_url = m_server.start();
}

std::string FacebookFake::next_id() {
  return std::to_string(++m_next);
}

bool FacebookFake::authorized(const httplib::Request& req, httplib::Response& res, bool user_ok) {
  std::string auth = req.get_header_value("Authorization");
  std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : param(req, "access_token");
  if (token == page_token() || (user_ok && token == k_user_token)) return true;
  json e = m_error;
  e["error"]["message"] =
      "Invalid OAuth access token - Cannot parse access token " + (echo_secrets ? token : "");
  e["error"]["code"] = 190;
  send(res, e, 400);
  return false;
}

std::string FacebookFake::add_comment(const std::string& on, const std::string& name,
                                      const std::string& text) {
  std::lock_guard l(m_mutex);
  std::string id = next_id();
  std::string post = on, parent;
  for (const auto& c : m_comments)
    if (c["id"] == on) {
      post = c["post"];
      parent = c["parent"].get<std::string>().empty() ? on : c["parent"].get<std::string>();
    }
  m_comments.push_back({{"id", post.substr(post.find('_') + 1) + "_" + id},
                        {"post", post},
                        {"parent", parent},
                        {"from", {{"id", "PSID-" + name}, {"name", name}}},
                        {"message", text},
                        {"ts", unix_now()}});
  return m_comments.back()["id"];
}

std::string FacebookFake::add_message(const std::string& name, const std::string& text, int age_seconds) {
  std::lock_guard l(m_mutex);
  std::string id = "m_" + next_id();
  m_messages.push_back(
      {{"id", id},
       {"from", {{"id", "PSID-" + name}, {"name", name}, {"email", "PSID-" + name + "@facebook.com"}}},
       {"message", text},
       {"ts", unix_now() - age_seconds},
       {"ours", false}});
  return id;
}

std::string FacebookFake::add_own_post(const std::string& message, int age_seconds) {
  std::lock_guard l(m_mutex);
  std::string id = std::string(k_page_id) + "_" + next_id();
  m_posts.push_back(
      {{"id", id}, {"message", message}, {"ts", unix_now() - age_seconds}, {"photos", json::array()}});
  return id;
}

void FacebookFake::set_counts(const std::string& post, int reactions, int comments, int shares,
                              int impressions) {
  std::lock_guard l(m_mutex);
  m_counts[post] = {
      {"reactions", reactions}, {"comments", comments}, {"shares", shares}, {"impressions", impressions}};
}

std::vector<json> FacebookFake::posts() {
  std::lock_guard l(m_mutex);
  return m_posts;
}
std::vector<json> FacebookFake::photos() {
  std::lock_guard l(m_mutex);
  return m_photos;
}
std::vector<json> FacebookFake::our_comments() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& c : m_comments)
    if (c["from"]["id"] == k_page_id) out.push_back(c);
  return out;
}
std::vector<json> FacebookFake::our_messages() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& m : m_messages)
    if (m["ours"].get<bool>()) out.push_back(m);
  return out;
}

void FacebookFake::routes() {
  auto& s = m_server.server();
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (echo_secrets) res.set_header("X-Debug-Authorization", req.get_header_value("Authorization"));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string v = R"(/v\d+\.\d+)";
  auto fail = [this](httplib::Response& res, const std::string& message, int code, int sub,
                     int status = 400) {
    json e = m_error;
    e["error"]["message"] = message;
    e["error"]["code"] = code;
    if (sub) e["error"]["error_subcode"] = sub;
    send(res, e, status);
  };
  // published=false with scheduled_publish_time: Facebook publishes the post at that time,
  // which must be 10 minutes to 6 months ahead. 0: now; -1: refused (the answer is sent).
  auto scheduled_time = [fail](const httplib::Request& req, httplib::Response& res) -> long long {
    if (param(req, "scheduled_publish_time").empty()) return 0;  // a form field, or a multipart part
    long long t = std::atoll(param(req, "scheduled_publish_time").c_str());
    long long now = unix_now();
    if (param(req, "published") != "false") {
      fail(res, "(#100) You cannot specify a scheduled publish time on a published post", 100, 0);
      return -1;
    }
    if (t < now + 600 || t > now + 183LL * 24 * 3600) {
      fail(res, "(#100) The specified scheduled publish time is invalid.", 100, 0);
      return -1;
    }
    return t;
  };
  auto view_of = [this](const json& p) {
    json out = {
        {"id", p["id"]},
        {"created_time", graph_time(p["ts"])},
        {"permalink_url", "https://www.facebook.com/" + std::string(k_page_id) + "/posts/" +
                              p["id"].get<std::string>().substr(p["id"].get<std::string>().find('_') + 1)}};
    if (!p["message"].get<std::string>().empty()) out["message"] = p["message"];
    const json& photos = p["photos"];
    if (photos.size() == 1) out["attachments"] = {{"data", json::array({{{"media_type", "photo"}}})}};
    if (photos.size() > 1) {
      json subs = json::array();
      for (const auto& ph : photos) subs.push_back({{"media_type", "photo"}, {"target", {{"id", ph}}}});
      out["attachments"] = {
          {"data", json::array({{{"media_type", "album"}, {"subattachments", {{"data", subs}}}}})}};
    }
    return out;
  };

  // Facebook Login with the browser: the dialog sends the browser back with a code, which is
  // exchanged for a user token, exchanged in turn for a long-lived one (fb_exchange_token).
  s.Get(v + "/dialog/oauth", [](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_id") != k_app_id) {
      res.status = 400;
      return;
    }
    res.status = 302;
    res.set_header("Location",
                   param(req, "redirect_uri") + "?code=fake-fb-code&state=" + param(req, "state"));
  });
  s.Get(v + "/oauth/access_token", [this, fail](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_id") != k_app_id || param(req, "client_secret") != k_app_secret)
      return fail(res, "Error validating client secret.", 1, 0);
    if (param(req, "code") == "fake-fb-code") {
      send(
          res,
          json{{"access_token", "EAAfake-short-user-token"}, {"token_type", "bearer"}, {"expires_in", 5183}});
      return;
    }
    if (param(req, "grant_type") == "fb_exchange_token" &&
        param(req, "fb_exchange_token") == "EAAfake-short-user-token") {
      json t = recorded("base/long_term_token.json");
      t["access_token"] = k_user_token;
      send(res, t);
      return;
    }
    fail(res, "Invalid verification code format.", 100, 0);
  });

  s.Get(v + "/me/accounts", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    std::string auth = req.get_header_value("Authorization");
    if (auth == "Bearer " + page_token()) {  // a Page has no Pages
      json e = m_error;
      e["error"]["message"] = "(#100) Tried accessing nonexisting field (accounts) on node type (Page)";
      e["error"]["code"] = 100;
      send(res, e, 400);
      return;
    }
    if (!authorized(req, res, true)) return;
    json data = json::array();
    for (size_t i = 0; i < m_pages["data"].size() && (i == 0 || m_all_pages); ++i) {
      json p = m_pages["data"][i];
      p.erase("category_list");
      p.erase("tasks");
      p["access_token"] = std::string("EAAfake-page-token-") + p["id"].get<std::string>();
      data.push_back(p);
    }
    send(res, json{{"data", data}});
  });

  s.Get(v + "/me", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    send(res, json{{"id", k_page_id}, {"name", k_page_name}});
  });

  s.Post(v + R"(/(\d+)/feed)", [this, fail, scheduled_time](const httplib::Request& req, httplib::Response& res) {
    int hold = 0;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      if (req.matches[1] != k_page_id) return fail(res, "Unsupported post request.", 100, 33);
      std::string message = param(req, "message");
      json photos = json::array();
      for (int k = 0; req.has_param("attached_media[" + std::to_string(k) + "]"); ++k) {
        json a = json::parse(param(req, "attached_media[" + std::to_string(k) + "]"), nullptr, false);
        std::string fbid = a.is_object() ? a.value("media_fbid", "") : "";
        bool known = false;
        for (auto& ph : m_photos)
          if (ph["id"] == fbid && !ph["published"].get<bool>()) known = true;
        if (!known) return fail(res, "(#100) Invalid media_fbid", 100, 0);
        photos.push_back(fbid);
      }
      if (message.empty() && photos.empty() && param(req, "link").empty())
        return fail(res, "(#100) Missing message or attachment", 100, 0);
      if (message.size() > 63206 * 4) return fail(res, "(#100) The message is too long", 100, 0);
      long long at = scheduled_time(req, res);
      if (at < 0) return;
      std::string id = std::string(k_page_id) + "_" + next_id();
      m_posts.push_back(
          {{"id", id}, {"message", message}, {"ts", unix_now()}, {"photos", photos}, {"scheduled", at}});
      if (m_lose) {
        m_lose = false;
        return fail(res, "An unexpected error has occurred. Please retry your request later.", 2, 0, 500);
      }
      hold = m_hold_ms;
      m_hold_ms = 0;
      send(res, json{{"id", id}});
    }
    if (hold > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold));
  });

  s.Post(v + R"(/(\d+)/photos)", [this, fail, scheduled_time](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    if (!req.is_multipart_form_data() || !req.has_file("source"))
      return fail(res, "(#324) Requires upload file", 324, 0);
    const auto& file = req.get_file_value("source");
    bool image = file.content.size() > 4 && (file.content.compare(0, 4, "\x89PNG") == 0 ||
                                             static_cast<unsigned char>(file.content[0]) == 0xFF);
    if (!image) return fail(res, "(#324) Missing or invalid image file", 324, 2069019);
    long long at = scheduled_time(req, res);
    if (at < 0) return;
    json photo = m_photo_tpl;
    std::string id = next_id();
    bool published = param(req, "published") != "false" || at > 0;  // a scheduled one makes a post
    photo["id"] = id;
    photo["published"] = published;
    photo["alt_text_custom"] = param(req, "alt_text_custom");
    photo["bytes"] = file.content.size();
    m_photos.push_back(photo);
    json out = {{"id", id}};
    if (published) {
      std::string post = std::string(k_page_id) + "_" + next_id();
      m_posts.push_back({{"id", post},
                         {"message", param(req, "message")},
                         {"ts", unix_now()},
                         {"photos", json::array({id})},
                         {"scheduled", at}});
      out["post_id"] = post;
      if (m_lose) {
        m_lose = false;
        return fail(res, "An unexpected error has occurred. Please retry your request later.", 2, 0, 500);
      }
    }
    send(res, out);
  });

  s.Get(v + R"(/(\d+)/feed)", [this, view_of](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    long long since = req.has_param("since") ? std::atoll(param(req, "since").c_str()) : 0;
    json data = json::array();
    for (auto it = m_posts.rbegin(); it != m_posts.rend(); ++it)
      if ((*it)["ts"].get<long long>() >= since && (*it).value("scheduled", 0LL) <= unix_now())
        data.push_back(view_of(*it));
    send(res, json{{"data", data}, {"paging", {{"cursors", {{"before", "B"}, {"after", "A"}}}}}});
  });

  // Posts Facebook is to publish later: not in the feed before their time.
  s.Get(v + R"(/(\d+)/scheduled_posts)", [this, view_of](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json data = json::array();
    for (auto it = m_posts.rbegin(); it != m_posts.rend(); ++it)
      if ((*it).value("scheduled", 0LL) > unix_now()) {
        json p = view_of(*it);
        p["scheduled_publish_time"] = (*it)["scheduled"];
        p["is_published"] = false;
        data.push_back(p);
      }
    send(res, json{{"data", data}});
  });

  s.Get(v + R"(/(\d+_\d+)/comments)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string post = req.matches[1];
    json data = json::array();
    for (const auto& c : m_comments) {  // filter=stream: replies too, oldest first
      if (c["post"] != post) continue;
      json view = m_comment_tpl;
      view["id"] = c["id"];
      view["message"] = c["message"];
      view["created_time"] = graph_time(c["ts"]);
      view["from"] = c["from"];
      view["permalink_url"] =
          "https://www.facebook.com/" + post + "?comment_id=" + c["id"].get<std::string>();
      if (!c["parent"].get<std::string>().empty()) view["parent"] = {{"id", c["parent"]}};
      data.push_back(view);
    }
    send(res, json{{"data", data}});
  });

  s.Post(v + R"(/(\d+_\d+)/comments)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string on = req.matches[1];
    std::string post, parent;
    for (const auto& c : m_comments)
      if (c["id"] == on) {
        if (!c["parent"].get<std::string>().empty())
          return fail(res, "(#100) Comments nest one level deep", 100, 0);
        post = c["post"];
        parent = on;
      }
    for (const auto& p : m_posts)
      if (p["id"] == on) post = on;
    if (post.empty()) return fail(res, "Unsupported post request. Object does not exist", 100, 33);
    json made = m_created_comment;
    std::string id = post.substr(post.find('_') + 1) + "_" + next_id();
    m_comments.push_back({{"id", id},
                          {"post", post},
                          {"parent", parent},
                          {"from", {{"id", k_page_id}, {"name", k_page_name}}},
                          {"message", param(req, "message")},
                          {"ts", unix_now()}});
    made["id"] = id;
    made["message"] = param(req, "message");
    made["permalink_url"] = "https://www.facebook.com/" + post + "?comment_id=" + id;
    send(res, json{{"id", id}});
  });

  s.Get(v + R"(/(\d+)/conversations)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json messages = json::array();
    for (auto it = m_messages.rbegin(); it != m_messages.rend(); ++it)
      messages.push_back({{"id", (*it)["id"]},
                          {"created_time", graph_time((*it)["ts"])},
                          {"from", (*it)["from"]},
                          {"message", (*it)["message"]}});
    json conv = json::array();
    if (!messages.empty())
      conv.push_back({{"id", "t_587956915396498"},
                      {"link", "/" + std::string(k_page_id) + "/inbox/2582605345287947/"},
                      {"updated_time", messages[0]["created_time"]},
                      {"messages", {{"data", messages}}}});
    send(res, json{{"data", conv}});
  });

  s.Post(v + R"(/(\d+)/messages)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json body = json::parse(req.body, nullptr, false);
    std::string to = body.is_object() && body.contains("recipient") ? body["recipient"].value("id", "") : "";
    long long last = 0;
    for (const auto& m : m_messages)
      if (!m["ours"].get<bool>() && m["from"]["id"] == to) last = std::max(last, m["ts"].get<long long>());
    if (last == 0) return fail(res, "(#100) No matching user found", 100, 2018001);
    std::string tag = body.value("tag", "");
    long long age = unix_now() - last;
    if ((tag.empty() && age > 86400) || (tag == "HUMAN_AGENT" && age > 7 * 86400))
      return fail(res, "(#10) This message is sent outside of allowed window.", 10, 2018278);
    std::string id = "m_" + next_id();
    m_messages.push_back({{"id", id},
                          {"from", {{"id", k_page_id}, {"name", k_page_name}}},
                          {"to", to},
                          {"message", body["message"].value("text", "")},
                          {"ts", unix_now()},
                          {"ours", true},
                          {"tag", tag}});
    send(res, json{{"recipient_id", to}, {"message_id", id}});
  });

  s.Get(v + R"(/(\d+_\d+)/insights)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    int n = m_counts.count(id) ? m_counts[id].value("impressions", 0) : 0;
    send(res, json{{"data", json::array({{{"name", "post_impressions"},
                                          {"period", "lifetime"},
                                          {"values", json::array({{{"value", n}}})},
                                          {"id", id + "/insights/post_impressions/lifetime"}}})}});
  });

  s.Post(v + R"(/(\d+_\d+))", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    for (auto& c : m_comments)
      if (c["id"] == req.matches[1]) {
        c["hidden"] = param(req, "is_hidden") == "true";
        send(res, json{{"success", true}});
        return;
      }
    fail(res, "Unsupported post request.", 100, 33);
  });

  s.Get(v + R"(/(\d+(_\d+)?))", [this, fail, view_of](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    if (id == k_page_id) {
      send(res,
           json{{"id", k_page_id}, {"name", k_page_name}, {"followers_count", 1200}, {"fan_count", 1100}});
      return;
    }
    for (const auto& p : m_posts)
      if (p["id"] == id) {
        json out = view_of(p);
        json c = m_counts.count(id) ? m_counts[id] : json::object();
        json tpl = m_post_tpl;
        out["reactions"] = {{"data", json::array()}, {"summary", {{"total_count", c.value("reactions", 0)}}}};
        out["comments"] = tpl["comments"];
        out["comments"]["summary"]["total_count"] = c.value("comments", 0);
        out["shares"] = {{"count", c.value("shares", 0)}};
        send(res, out);
        return;
      }
    fail(res, "Unsupported get request. Object with ID '" + id + "' does not exist", 100, 33);
  });
}

}  // namespace crier::testing
