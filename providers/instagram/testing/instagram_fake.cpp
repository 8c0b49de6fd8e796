#include "providers/instagram/testing/instagram_fake.hpp"

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

const std::string k_dir = "python-facebook/testdata/";

json recorded(const std::string& file) { return json::parse(read_file(recorded_fixtures_dir() / (k_dir + file))); }

bool wants(const std::string& fields, const std::string& name) {
  std::string f = "," + fields + ",";
  return f.find("," + name + ",") != std::string::npos || f.find("," + name + "{") != std::string::npos;
}

}  // namespace

InstagramFake::InstagramFake() {
  m_account = recorded("instagram/apidata/users/user_fields.json");
  m_account["id"] = k_ig_id;
  m_account["username"] = k_user;
  m_pages = recorded("facebook/apidata/users/user_accounts_p1.json");
  m_limit = recorded("instagram/apidata/publish/publish_limit_resp.json");
  m_container = recorded("instagram/apidata/publish/container_info.json");
  json medias = recorded("instagram/apidata/medias/medias_fields.json");
  m_media_tpl = medias.begin().value();
  m_comment_tpl = recorded("instagram/apidata/comments/comment_fields.json");
  m_insights = recorded("instagram/apidata/medias/insights.json");
  m_error = recorded("error.json");
  routes();
  m_url = m_server.start();
}

std::string InstagramFake::next_id() { return std::to_string(++m_next); }

bool InstagramFake::authorized(const httplib::Request& req, httplib::Response& res, bool user_token_ok) {
  std::string auth = req.get_header_value("Authorization");
  std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : param(req, "access_token");
  if (!token.empty() && (token == m_ig_token || token == k_page_token || (user_token_ok && token == k_user_token)))
    return true;
  json e = m_error;
  e["error"]["message"] = "Invalid OAuth access token - Cannot parse access token " + (echo_secrets ? token : "");
  e["error"]["code"] = 190;
  send(res, e, 400);
  return false;
}

std::string InstagramFake::fetch_image(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return "not a URL";
  try {
    auto http = make_curl_transport();
    HttpResponse r = http->send(HttpRequest{"GET", url, {}, ""});
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    const std::string& b = r.body;
    bool jpeg = b.size() > 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8;
    return jpeg ? "" : "only JPEG images are supported";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string InstagramFake::add_comment(const std::string& media, const std::string& author, const std::string& text) {
  std::lock_guard l(m_mutex);
  std::string id = next_id();
  std::string parent;
  for (const auto& c : m_comments)
    if (c["id"] == media) parent = c["id"];  // a reply under a comment
  std::string on = media;
  if (!parent.empty())
    for (const auto& c : m_comments)
      if (c["id"] == parent) on = c["media"];
  m_comments.push_back(
      {{"id", id}, {"media", on}, {"parent", parent}, {"username", author}, {"text", text}, {"ts", unix_now()}});
  return id;
}

std::string InstagramFake::add_tag(const std::string& author, const std::string& caption) {
  std::lock_guard l(m_mutex);
  json m = m_media_tpl;
  std::string id = next_id();
  m["id"] = id;
  m["caption"] = caption;
  m["username"] = author;
  m["ts"] = unix_now();
  m["timestamp"] = graph_time(unix_now());
  m["permalink"] = "https://www.instagram.com/p/T" + id.substr(id.size() - 6) + "/";
  m["tagged"] = true;
  m_media.push_back(m);
  return id;
}

std::string InstagramFake::add_dm(const std::string& author, const std::string& text, int age_seconds) {
  std::lock_guard l(m_mutex);
  std::string id = "aWdfZAG1faWQ" + next_id();
  m_messages.push_back({{"id", id},
                        {"from", {{"username", author}, {"id", "IGSID-" + author}}},
                        {"text", text},
                        {"ts", unix_now() - age_seconds},
                        {"ours", false}});
  return id;
}

std::string InstagramFake::add_own_media(const std::string& caption, int age_seconds) {
  std::lock_guard l(m_mutex);
  json m = m_media_tpl;
  std::string id = next_id();
  m["id"] = id;
  m["caption"] = caption;
  m["username"] = k_user;
  m["media_type"] = "IMAGE";
  m["ts"] = unix_now() - age_seconds;
  m["timestamp"] = graph_time(unix_now() - age_seconds);
  m_media.push_back(m);
  return id;
}

void InstagramFake::set_counts(const std::string& media, int likes, int comments, int shares, int views) {
  std::lock_guard l(m_mutex);
  m_counts[media] = {{"likes", likes}, {"comments", comments}, {"shares", shares}, {"views", views}};
}

std::vector<json> InstagramFake::our_media() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& m : m_media)
    if (m.value("username", "") == k_user) out.push_back(m);
  return out;
}

std::vector<json> InstagramFake::our_comments() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& c : m_comments)
    if (c["username"] == k_user) out.push_back(c);
  return out;
}

std::vector<json> InstagramFake::our_messages() {
  std::lock_guard l(m_mutex);
  std::vector<json> out;
  for (const auto& m : m_messages)
    if (m["ours"].get<bool>()) out.push_back(m);
  return out;
}

void InstagramFake::routes() {
  auto& s = m_server.server();
  m_server.set_pre_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (echo_secrets) res.set_header("X-Debug-Authorization", req.get_header_value("Authorization"));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string v = R"(/v\d+\.\d+)";
  auto fail = [this](httplib::Response& res, const std::string& message, int code, int sub, int status = 400) {
    json e = m_error;
    e["error"]["message"] = message;
    e["error"]["code"] = code;
    if (sub) e["error"]["error_subcode"] = sub;
    e["error"]["type"] = "OAuthException";
    send(res, e, status);
  };

  // Facebook Login with the browser: the dialog sends the browser back with a code, which is
  // exchanged for a user token, exchanged in turn for a long-lived one (fb_exchange_token).
  s.Get(v + "/dialog/oauth", [](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_id") != k_app_id) {
      res.status = 400;
      return;
    }
    res.status = 302;
    res.set_header("Location", param(req, "redirect_uri") + "?code=fake-fb-code&state=" + param(req, "state"));
  });
  s.Get(v + "/oauth/access_token", [this, fail](const httplib::Request& req, httplib::Response& res) {
    if (param(req, "client_id") != k_app_id || param(req, "client_secret") != k_app_secret)
      return fail(res, "Error validating client secret.", 1, 0);
    if (param(req, "code") == "fake-fb-code") {
      send(res, json{{"access_token", "EAAfake-short-user-token"}, {"token_type", "bearer"}, {"expires_in", 5183}});
      return;
    }
    if (param(req, "grant_type") == "fb_exchange_token" && param(req, "fb_exchange_token") == "EAAfake-short-user-token") {
      json t = recorded("base/long_term_token.json");
      t["access_token"] = k_user_token;
      send(res, t);
      return;
    }
    fail(res, "Invalid verification code format.", 100, 0);
  });

  s.Get(v + "/me", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    send(res, json{{"user_id", k_ig_id}, {"username", k_user}, {"name", m_account["name"]}, {"id", "2711636948859886"}});
  });

  s.Get(v + "/me/accounts", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res, true)) return;
    json pages = m_pages;
    json data = json::array();
    for (size_t i = 0; i < pages["data"].size() && i < 3; ++i) {
      json p = pages["data"][i];
      p.erase("category_list");
      p.erase("tasks");
      p["access_token"] = std::string("EAAfake-page-token-") + p["id"].get<std::string>();
      if (i == 0) p["instagram_business_account"] = {{"id", k_ig_id}, {"username", k_user}, {"name", "Crier Tester"}};
      if (i == 1 && m_second)
        p["instagram_business_account"] = {{"id", "17841400000000099"}, {"username", "crier_other"}};
      data.push_back(p);
    }
    send(res, json{{"data", data}, {"paging", pages.value("paging", json::object())}});
  });

  s.Get("/refresh_access_token", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (param(req, "grant_type") != "ig_refresh_token" || !authorized(req, res)) {
      if (res.status != 400) send(res, json{{"error", {{"message", "Unsupported grant_type"}, {"code", 100}}}}, 400);
      return;
    }
    json t = recorded("base/long_term_token.json");
    m_ig_token = std::string(k_ig_token) + "-r" + std::to_string(++m_refreshes);
    t["access_token"] = m_ig_token;
    send(res, t);
  });

  s.Get(v + R"(/(\d+)/content_publishing_limit)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json out = m_limit;
    out["data"][0]["quota_usage"] = m_quota_used;
    send(res, out);
  });

  s.Post(v + R"(/(\d+)/media)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::string image_url;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      image_url = param(req, "image_url");
    }
    std::string why = image_url.empty() ? "" : fetch_image(image_url);
    std::lock_guard l(m_mutex);
    if (req.matches[1] != k_ig_id) return fail(res, "Unsupported post request.", 100, 33);
    std::string type = param(req, "media_type");
    std::string caption = param(req, "caption");
    if (codepoints(caption) > 2200) return fail(res, "The caption is too long", 100, 2207009);
    json children = json::array();
    if (type == "CAROUSEL") {
      std::string list = param(req, "children") + ",";
      for (size_t a = 0, b; (b = list.find(',', a)) != std::string::npos; a = b + 1) {
        std::string id = list.substr(a, b - a);
        if (id.empty()) continue;
        auto it = m_containers.find(id);
        if (it == m_containers.end() || !it->second["carousel_item"].get<bool>())
          return fail(res, "Invalid children", 100, 0);
        children.push_back(id);
      }
      if (children.size() < 2 || children.size() > 10) return fail(res, "A carousel holds 2 to 10 items", 100, 2207028);
    } else {
      if (image_url.empty()) return fail(res, "The parameter image_url is required", 100, 0);
      if (!why.empty())
        return fail(res, "Only photo or video can be accepted as media type. (" + why + ")", 9004, 2207052);
    }
    std::string id = next_id();
    m_containers[id] = {{"status_code", m_processing_polls == 0 ? "FINISHED" : "IN_PROGRESS"},
                        {"polls", 0},
                        {"type", type.empty() ? "IMAGE" : type},
                        {"caption", caption},
                        {"children", children},
                        {"alt_text", param(req, "alt_text")},
                        {"carousel_item", param(req, "is_carousel_item") == "true"}};
    send(res, json{{"id", id}});
  });

  s.Post(v + R"(/(\d+)/media_publish)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    int hold = 0;
    {
      std::lock_guard l(m_mutex);
      if (!authorized(req, res)) return;
      auto it = m_containers.find(param(req, "creation_id"));
      if (it == m_containers.end()) return fail(res, "The media is not found", 100, 33);
      json& c = it->second;
      if (c["status_code"] == "PUBLISHED") return fail(res, "The media has already been published", 9007, 2207008);
      if (c["status_code"] != "FINISHED") return fail(res, "Media ID is not available", 9007, 2207027);
      if (m_quota_used >= 25) return fail(res, "Application request limit reached", 4, 2207042);
      json m = m_media_tpl;
      std::string id = next_id();
      m["id"] = id;
      m["caption"] = c["caption"];
      m["username"] = k_user;
      m["media_type"] = c["type"] == "CAROUSEL" ? "CAROUSEL_ALBUM" : "IMAGE";
      m["ts"] = unix_now();
      m["timestamp"] = graph_time(unix_now());
      m["permalink"] = "https://www.instagram.com/p/C" + id.substr(id.size() - 6) + "/";
      m["like_count"] = 0;
      m["comments_count"] = 0;
      m["alt_text"] = c["alt_text"];
      m.erase("children");
      if (c["type"] == "CAROUSEL") {
        json kids = json::array();
        for (const auto& k : c["children"]) kids.push_back({{"id", k}});
        m["children"] = {{"data", kids}};
      }
      m_media.push_back(m);
      ++m_quota_used;
      c["status_code"] = "PUBLISHED";
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

  s.Get(v + R"(/(\d+)/media)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    long long since = req.has_param("since") ? std::atoll(param(req, "since").c_str()) : 0;
    json data = json::array();
    for (auto it = m_media.rbegin(); it != m_media.rend(); ++it) {
      const json& m = *it;
      if (m.value("username", "") != k_user || m["ts"].get<long long>() < since) continue;
      json view = {{"id", m["id"]}};
      for (const char* k : {"caption", "media_type", "timestamp", "permalink", "children", "like_count",
                            "comments_count"})
        if (wants(param(req, "fields"), k) && m.contains(k)) view[k] = m[k];
      data.push_back(view);
    }
    send(res, json{{"data", data}, {"paging", {{"cursors", {{"before", "B"}, {"after", "A"}}}}}});
  });

  s.Get(v + R"(/(\d+)/tags)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json data = json::array();
    for (auto it = m_media.rbegin(); it != m_media.rend(); ++it)
      if (it->value("tagged", false))
        data.push_back({{"id", (*it)["id"]},
                        {"caption", (*it)["caption"]},
                        {"username", (*it)["username"]},
                        {"timestamp", (*it)["timestamp"]},
                        {"permalink", (*it)["permalink"]}});
    send(res, json{{"data", data}});
  });

  s.Get(v + R"(/(\d+)/comments)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string media = req.matches[1];
    json data = json::array();
    for (const auto& c : m_comments) {
      if (c["media"] != media || !c["parent"].get<std::string>().empty()) continue;
      json view = m_comment_tpl;
      view["id"] = c["id"];
      view["text"] = c["text"];
      view["username"] = c["username"];
      view["timestamp"] = graph_time(c["ts"]);
      view["from"] = {{"id", "IGSID-" + c["username"].get<std::string>()}, {"username", c["username"]}};
      json replies = json::array();
      for (const auto& r : m_comments)
        if (r["parent"] == c["id"])
          replies.push_back({{"id", r["id"]},
                             {"text", r["text"]},
                             {"username", r["username"]},
                             {"timestamp", graph_time(r["ts"])}});
      if (!replies.empty()) view["replies"] = {{"data", replies}};
      data.push_back(view);
    }
    send(res, json{{"data", data}});
  });

  s.Post(v + R"(/(\d+)/replies)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string parent = req.matches[1];
    for (const auto& c : m_comments)
      if (c["id"] == parent) {
        if (!c["parent"].get<std::string>().empty())
          return fail(res, "Replies can only be made to top-level comments", 100, 0);
        std::string id = next_id();
        m_comments.push_back({{"id", id},
                              {"media", c["media"]},
                              {"parent", parent},
                              {"username", k_user},
                              {"text", param(req, "message")},
                              {"ts", unix_now()}});
        send(res, json{{"id", id}});
        return;
      }
    fail(res, "The comment does not exist", 100, 33);
  });

  s.Get(v + R"(/(\d+)/conversations)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    json messages = json::array();
    for (auto it = m_messages.rbegin(); it != m_messages.rend(); ++it)
      messages.push_back({{"id", (*it)["id"]},
                          {"created_time", graph_time((*it)["ts"])},
                          {"from", (*it)["from"]},
                          {"to", {{"data", json::array({{{"username", k_user}, {"id", k_ig_id}}})}}},
                          {"message", (*it)["text"]}});
    json conv = json::array();
    if (!messages.empty())
      conv.push_back({{"id", "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ"},
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
    if (last == 0) return fail(res, "No matching user found", 100, 2018001);
    long long age = unix_now() - last;
    std::string tag = body.value("tag", "");
    if ((tag.empty() && age > 86400) || (tag == "HUMAN_AGENT" && age > 7 * 86400))
      return fail(res, "This message is sent outside of allowed window.", 10, 2018278);
    std::string id = "aWdfZAG1faWQ" + next_id();
    m_messages.push_back({{"id", id},
                          {"from", {{"username", k_user}, {"id", k_ig_id}}},
                          {"to", to},
                          {"text", body["message"].value("text", "")},
                          {"ts", unix_now()},
                          {"ours", true},
                          {"tag", tag},
                          {"messaging_type", body.value("messaging_type", "")}});
    send(res, json{{"recipient_id", to}, {"message_id", id}});
  });

  s.Get(v + R"(/(\d+)/insights)", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    json counts = m_counts.count(id) ? m_counts[id] : json::object();
    json data = json::array();
    std::string metrics = param(req, "metric") + ",";
    json tpl = m_insights["data"][0];
    for (size_t a = 0, b; (b = metrics.find(',', a)) != std::string::npos; a = b + 1) {
      std::string name = metrics.substr(a, b - a);
      if (name.empty()) continue;
      json row = tpl;
      row["name"] = name;
      row["title"] = name;
      row["values"] = json::array({{{"value", counts.value(name, 0)}}});
      row["id"] = id + "/insights/" + name + "/lifetime";
      data.push_back(row);
    }
    send(res, json{{"data", data}});
  });

  s.Post(v + R"(/(\d+))", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    for (auto& c : m_comments)
      if (c["id"] == req.matches[1]) {
        c["hidden"] = param(req, "hide") == "true";
        send(res, json{{"success", true}});
        return;
      }
    fail(res, "Unsupported post request.", 100, 33);
  });

  s.Get(v + R"(/(\d+))", [this, fail](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(m_mutex);
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    if (auto it = m_containers.find(id); it != m_containers.end()) {
      json& c = it->second;
      if (c["status_code"] == "IN_PROGRESS" && c["polls"].get<int>() + 1 >= m_processing_polls)
        c["status_code"] = "FINISHED";
      c["polls"] = c["polls"].get<int>() + 1;
      json out = m_container;
      out["id"] = id;
      out["status_code"] = c["status_code"];
      out["status"] = c["status_code"] == "FINISHED" ? "Finished: Media has been uploaded and it is ready to be published."
                                                     : "In Progress: Media is still being processed.";
      send(res, out);
      return;
    }
    if (id == k_ig_id) {
      send(res, m_account);
      return;
    }
    for (const auto& m : m_media)
      if (m["id"] == id) {
        json view = {{"id", id}};
        for (const char* k : {"caption", "media_type", "timestamp", "permalink", "children"})
          if (wants(param(req, "fields"), k) && m.contains(k)) view[k] = m[k];
        json counts = m_counts.count(id) ? m_counts[id] : json::object();
        if (wants(param(req, "fields"), "like_count")) view["like_count"] = counts.value("likes", 0);
        if (wants(param(req, "fields"), "comments_count")) view["comments_count"] = counts.value("comments", 0);
        send(res, view);
        return;
      }
    fail(res, "Unsupported get request. Object with ID '" + id + "' does not exist", 100, 33);
  });
}

}  // namespace crier::testing
