#include "providers/facebook/facebook_provider.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "error.hpp"
#include "http/pacer.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "paths.hpp"
#include "provider/json_read.hpp"
#include "providers/meta/graph.hpp"
#include "redact.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

using json_read::at;
using json_read::count;
using json_read::list;
using json_read::str;
using nlohmann::json;
using namespace std::chrono;

constexpr const char* k_server = "https://graph.facebook.com";
constexpr const char* k_version = "/v21.0";
constexpr size_t k_max_chars = 63206;
constexpr size_t k_max_photos = 10;

const char* k_post_fields = "id,message,created_time,permalink_url,attachments{media_type,subattachments}";

// The photos a post holds, as Graph lists its attachments: one photo, or an album of several.
size_t photos_of(const json& post) {
  const json& atts = list(at(post, "attachments"), "data");
  if (atts.empty()) return 0;
  const json& a = atts[0];
  size_t sub = list(at(a, "subattachments"), "data").size();
  if (sub > 0) return sub;
  return str(a, "media_type") == "photo" ? 1 : 0;
}

class FacebookProvider final : public Provider {
 public:
  explicit FacebookProvider(ProviderEnv& env)
      : m_clock(env.clock),
        m_config(env.config),
        m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock),
        m_graph(m_rest, "facebook") {}

  std::string_view name() const override { return "facebook"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = true;
    c.inbox_replies = c.inbox_dms = true;  // mentions reach Pages only through webhooks
    c.reply = c.send_dm = c.hide = true;
    c.post_metrics = c.account_metrics = true;
    return c;
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.unit = "characters";
    r.max_length = k_max_chars;
    r.count = [](std::string_view t) { return count_codepoints(t); };
    r.max_images = k_max_photos;
    r.max_image_bytes = 10 * 1024 * 1024;
    r.image_types = {"image/jpeg", "image/png", "image/gif", "image/webp"};
    r.text_required = false;
    r.notes = "links get Facebook's own preview";
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    std::string token = trim_whitespace(q.secret);
    json given = json::parse(token, nullptr, false);
    if (given.is_object()) token = str(given, "access_token");
    if (token.empty() && q.sign_in) {
      if (auto app = meta::meta_app(m_config, "facebook"))
        token = meta::facebook_login(
                    m_graph, q.server, *app, *q.sign_in,
                    "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,"
                    "pages_read_user_content,pages_messaging")
                    .token;
    }
    if (token.empty() && q.ask_secret)
      token = trim_whitespace(q.ask_secret("Facebook access token (not shown): "));
    if (token.empty())
      throw Error(
          ErrorKind::usage, "Facebook needs an access token",
          "a long-lived user token of your Meta app with pages_manage_posts, pages_read_engagement, "
          "pages_manage_engagement and pages_messaging (or a Page token); then: crier accounts add facebook "
          "--secret-stdin < token (--page NAME picks one of several Pages)");
    remember_secret(token);
    std::string server = q.server.empty() ? k_server : q.server;
    while (!server.empty() && server.back() == '/') server.pop_back();
    // --page, or (as before it existed) --handle: the Page's id, username or name.
    std::string wanted = q.page.empty() ? q.handle : q.page;
    auto is_wanted = [&wanted](const json& p) {
      return str(p, "id") == wanted || str(p, "username") == wanted || str(p, "name") == wanted;
    };
    json page;
    try {
      json pages = m_graph.get(server + k_version + "/me/accounts?fields=id,name,username,access_token",
                               token, "facebook pages");
      std::string names;
      const json* chosen = nullptr;
      const json& data = list(pages, "data");
      for (const auto& p : data) {
        names += (names.empty() ? "" : ", ") + str(p, "name") + " (" + str(p, "id") + ")";
        if (!wanted.empty() && is_wanted(p)) chosen = &p;
      }
      if (data.empty())
        throw Error(ErrorKind::invalid_input, "this Facebook user manages no Pages",
                    "crier posts to Pages (the Graph API has no posting to a personal profile)");
      if (chosen == nullptr && wanted.empty() && data.size() == 1) chosen = &data[0];
      if (chosen == nullptr)
        throw Error(ErrorKind::usage,
                    wanted.empty() ? "this user manages several Pages: which one?"
                                   : "no Page " + wanted + " among this user's",
                    "crier accounts add facebook --page PAGE, one of: " + names);
      page = *chosen;
    } catch (const Error& e) {
      // A Page token: /me is the Page itself, and has no Pages of its own.
      if (e.kind() != ErrorKind::permanent) throw;
      page = m_graph.get(server + k_version + "/me?fields=id,name,username", token, "facebook page");
      page["access_token"] = token;
      if (!q.page.empty() && !is_wanted(page))
        throw Error(ErrorKind::usage, "this is the token of the Page " + str(page, "name") + ", not of " + q.page,
                    "give that Page's token, or a user token that manages " + q.page);
    }
    std::string id = str(page, "id");
    if (id.empty()) throw Error(ErrorKind::permanent, "facebook: the answer is not a Page");
    std::string page_token = str(page, "access_token").empty() ? token : str(page, "access_token");
    remember_secret(page_token);
    Connected c;
    c.handle = str(page, "username").empty() ? id : str(page, "username");
    c.server = server;
    c.display_name = str(page, "name");
    c.secret = json{{"access_token", page_token}, {"page_id", id}}.dump();
    c.settings = json{{"page_id", id}}.dump();
    return c;
  }

  std::string secret_from_token(const std::string& token) const override {
    return json{{"access_token", trim_whitespace(token)}}.dump();
  }

  // Meta takes a Page post to publish from 10 minutes to 6 months (some say 30 days) ahead:
  // crier hands it over 28 days ahead at most, 15 minutes at least (room for clocks that differ).
  std::optional<NativeScheduling> native_scheduling() const override {
    return NativeScheduling{hours{24 * 28}, minutes{15}};
  }

  void verify(Session& s) override {
    remember_secrets_in(s.secret);
    m_graph.get(api(s, "/" + page(s) + "?fields=id,name"), token(s), "facebook page");
  }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    remember_secrets_in(s.secret);
    if (q.parts.size() != 1)
      throw Error(ErrorKind::unsupported, "Facebook has no threads", "a Page post holds 63,206 characters");
    const OutgoingPart& part = q.parts[0];
    std::string what = "facebook post";
    json made;
    // Facebook's own scheduling: not published now, but at this time (published=false).
    FormFields scheduled;
    if (q.schedule_at) {
      scheduled.emplace_back("published", "false");
      scheduled.emplace_back("scheduled_publish_time", std::to_string(to_unix(*q.schedule_at)));
    }
    if (part.media.size() == 1) {
      // One photo: uploaded with its caption, which makes the post.
      made = upload_photo(s, part.media[0], part.text, true, scheduled);
    } else {
      FormFields form = scheduled;
      if (!part.text.empty()) form.emplace_back("message", part.text);
      if (part.media.size() > 1) {
        // Several: each uploaded unpublished (kept in progress, so a retry does not upload it
        // again), then one post that attaches them.
        std::vector<meta::ContainerState> progress = meta::read_progress(q.progress);
        progress.resize(1);
        auto& ids = progress[0].children;
        for (size_t k = ids.size(); k < part.media.size(); ++k) {
          // A photo of a post to be published later must say so (temporary), or Meta drops it.
          FormFields extra;
          if (q.schedule_at) extra.emplace_back("temporary", "true");
          json photo = upload_photo(s, part.media[k], "", false, extra);
          if (str(photo, "id").empty())
            throw Error(ErrorKind::transient, "facebook photo upload: no id in the answer");
          ids.push_back(str(photo, "id"));
          q.save_progress(meta::write_progress(progress));
        }
        for (size_t k = 0; k < ids.size(); ++k)
          form.emplace_back("attached_media[" + std::to_string(k) + "]", json{{"media_fbid", ids[k]}}.dump());
      }
      made = m_graph.post(api(s, "/" + page(s) + "/feed"), form, token(s), what);
    }
    std::string id = str(made, "post_id").empty() ? str(made, "id") : str(made, "post_id");
    if (id.empty())
      throw Error(ErrorKind::transient,
                  "facebook post: the answer names no post; whether it was made is unknown");
    return PublishResult{{{id, permalink(s, id)}}};
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    // No idempotency key: only a post of this Page with this text and number of photos, made
    // since the attempt began (or in the clock margin when nothing later is), not another's.
    if (q.parts.size() != 1) return std::nullopt;
    remember_secrets_in(s.secret);
    const OutgoingPart& part = q.parts[0];
    // Handed to Facebook's scheduling: not in the feed before its time, but among the Page's
    // scheduled posts, with the time this delivery asked for. Those are read first: a post that
    // goes live between the two reads is then in the feed, not in neither.
    bool native = q.schedule_at || (q.options.count(std::string(k_native_schedule_option)) &&
                                    q.options.at(std::string(k_native_schedule_option)) == "true");
    json scheduled = json::array();
    if (native) {
      json later = m_graph.get(api(s, "/" + page(s) + "/scheduled_posts?fields=" + k_post_fields +
                                          ",scheduled_publish_time&limit=100"),
                               token(s), "facebook scheduled posts");
      for (const auto& p : list(later, "data")) {
        const json& when = at(p, "scheduled_publish_time");
        long long t = when.is_number() ? when.get<long long>()
                                       : to_unix(meta::parse_graph_time(when.is_string() ? when.get<std::string>() : ""));
        if (q.schedule_at && t != to_unix(*q.schedule_at)) continue;
        scheduled.push_back(p);
      }
    }
    // Before its time, this delivery's post can only be a scheduled one: a post already in the
    // feed is somebody else's, however alike.
    json data = json::array();
    if (!q.schedule_at) {
      json feed = m_graph.get(api(s, "/" + page(s) + "/feed?fields=" + k_post_fields +
                                         "&limit=50&since=" + std::to_string(to_unix(q.not_before))),
                              token(s), "facebook feed");
      data = list(feed, "data");
    }
    for (auto& p : scheduled) data.push_back(std::move(p));
    const json* found = nullptr;
    const json* in_margin = nullptr;
    for (auto it = data.rbegin(); it != data.rend(); ++it) {  // newest first
      const json& p = *it;
      std::string id = str(p, "id");
      if (id.empty() || trim_whitespace(str(p, "message")) != trim_whitespace(part.text)) continue;
      if (photos_of(p) != part.media.size()) continue;
      Timestamp t = meta::parse_graph_time(str(p, "created_time"));
      if (t < q.not_before) continue;
      if (q.taken && q.taken(id)) continue;
      if (t >= q.attempt_started) {
        found = &p;
        break;
      }
      if (in_margin == nullptr) in_margin = &p;
    }
    if (found == nullptr) found = in_margin;
    if (found == nullptr) return std::nullopt;
    return PublishResult{{{str(*found, "id"), str(*found, "permalink_url")}}};
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    remember_secrets_in(s.secret);
    if (stream == InboxStream::mentions)
      throw Error(ErrorKind::unsupported, "Facebook tells a Page of mentions only through webhooks");
    std::vector<RemoteItem> items;
    if (stream == InboxStream::replies) {
      auto since = m_clock.now() - hours{24 * m_config.get_int("facebook.inbox_days")};
      json feed =
          m_graph.get(api(s, "/" + page(s) + "/feed?fields=id,created_time,permalink_url&limit=50&since=" +
                                 std::to_string(to_unix(since))),
                      token(s), "facebook feed");
      for (const auto& p : list(feed, "data")) {
        std::string post = str(p, "id");
        if (post.empty()) continue;
        json comments =
            m_graph.get(api(s, "/" + post +
                                   "/comments?fields=id,message,created_time,from{id,name},parent{id},"
                                   "permalink_url&filter=stream&order=chronological&limit=100"),
                        token(s), "facebook comments");
        for (const auto& c : list(comments, "data")) {
          const json& from = at(c, "from");
          if (str(from, "id") == page(s)) continue;  // the Page's own
          RemoteItem item;
          std::string parent = str(at(c, "parent"), "id");
          item.kind = parent.empty() ? "comment" : "reply";
          item.remote_id = str(c, "id");
          item.thread_id = post;
          item.parent_remote_id = parent.empty() ? post : parent;
          item.author = str(from, "id");
          item.author_name = str(from, "name");
          if (item.author.empty())
            item.author = "someone";  // Graph hides people who have not allowed the app
          item.text = str(c, "message");
          item.url = str(c, "permalink_url").empty() ? str(p, "permalink_url") : str(c, "permalink_url");
          item.created_at = meta::parse_graph_time(str(c, "created_time"));
          if (!item.remote_id.empty()) items.push_back(item);
        }
      }
    } else {
      json conv = m_graph.get(api(s, "/" + page(s) +
                                         "/conversations?platform=messenger&fields=id,updated_time,link,"
                                         "messages.limit(20){id,created_time,from,to,message}"),
                              token(s), "facebook conversations");
      for (const auto& c : list(conv, "data")) {
        for (const auto& m : list(at(c, "messages"), "data")) {
          const json& from = at(m, "from");
          if (str(from, "id").empty() || str(from, "id") == page(s)) continue;  // ours
          RemoteItem item;
          item.kind = "dm";
          item.remote_id = str(m, "id");
          item.thread_id = str(c, "id");
          item.author = str(from, "id");
          item.author_name = str(from, "name");
          item.text = str(m, "message");
          item.url = str(c, "link").empty() ? "https://business.facebook.com/latest/inbox"
                                            : "https://www.facebook.com" + str(c, "link");
          item.created_at = meta::parse_graph_time(str(m, "created_time"));
          item.meta = json{{"sender_id", str(from, "id")}}.dump();
          if (!item.remote_id.empty()) items.push_back(item);
        }
      }
    }
    return meta::page_after(std::move(items), cursor);
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text,
                      const std::string&) override {
    remember_secrets_in(s.secret);
    if (to.kind == "dm")
      return meta::send_message(m_graph, api(s, "/" + page(s) + "/messages"), token(s), to, text,
                                m_clock.now());
    // Comments nest one level: an answer to a reply goes under its top-level comment.
    std::string target =
        to.kind == "reply" && !to.parent_remote_id.empty() ? to.parent_remote_id : to.remote_id;
    json made =
        m_graph.post(api(s, "/" + target + "/comments"), {{"message", text}}, token(s), "facebook comment");
    std::string id = str(made, "id");
    if (id.empty()) throw Error(ErrorKind::transient, "facebook comment: the answer names no comment");
    return {id, str(made, "permalink_url").empty() ? to.url : str(made, "permalink_url")};
  }

  void hide(Session& s, const RemoteItem& item, bool hidden) override {
    remember_secrets_in(s.secret);
    if (item.kind != "comment" && item.kind != "reply")
      throw Error(ErrorKind::unsupported,
                  "Facebook hides comments on the Page's posts only, not a " + item.kind);
    m_graph.post(api(s, "/" + item.remote_id), {{"is_hidden", hidden ? "true" : "false"}}, token(s),
                 "facebook hide comment");
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    remember_secrets_in(s.secret);
    std::vector<PostStats> out;
    for (const auto& id : ids) {
      json p;
      try {
        p = m_graph.get(api(s, "/" + id +
                                   "?fields=id,reactions.summary(total_count).limit(0),comments.summary("
                                   "total_count).limit(0),shares"),
                        token(s), "facebook post");
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) continue;
        throw;
      }
      PostStats st;
      st.remote_id = id;
      st.likes = count(at(at(p, "reactions"), "summary"), "total_count");
      st.replies = count(at(at(p, "comments"), "summary"), "total_count");
      st.reposts = count(at(p, "shares"), "count");
      try {
        json ins = m_graph.get(api(s, "/" + id + "/insights?metric=post_impressions"), token(s),
                               "facebook insights");
        for (const auto& m : list(ins, "data"))
          if (str(m, "name") == "post_impressions" && !list(m, "values").empty())
            st.views = count(list(m, "values").back(), "value");
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::rate_limited) throw;
      }
      out.push_back(st);
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    remember_secrets_in(s.secret);
    json p =
        m_graph.get(api(s, "/" + page(s) + "?fields=followers_count,fan_count"), token(s), "facebook page");
    AccountStats a;
    a.followers = at(p, "followers_count").is_number() ? count(p, "followers_count") : count(p, "fan_count");
    return a;
  }

 private:
  std::string api(const Session& s, const std::string& path) const {
    std::string server = s.account.server.empty() ? k_server : s.account.server;
    return server + k_version + path;
  }
  static std::string token(const Session& s) {
    return str(json::parse(s.secret, nullptr, false), "access_token");
  }
  static std::string page(const Session& s) {
    std::string id = str(json::parse(s.account.settings, nullptr, false), "page_id");
    if (id.empty()) id = str(json::parse(s.secret, nullptr, false), "page_id");
    return id.empty() ? "me" : id;
  }

  std::string permalink(Session& s, const std::string& id) {
    try {
      return str(m_graph.get(api(s, "/" + id + "?fields=permalink_url"), token(s), "facebook post"),
                 "permalink_url");
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::rate_limited) throw;
      return "";
    }
  }

  // POST /{page}/photos with the file itself (multipart): published with its caption, or not
  // (published=false) to attach to a post.
  // `scheduled`: published=false and the time, for Facebook's own scheduling.
  json upload_photo(Session& s, const MediaItem& m, const std::string& caption, bool published,
                    const FormFields& scheduled) {
    FormFields fields = scheduled;
    if (!caption.empty()) fields.emplace_back("message", caption);
    if (!published) fields.emplace_back("published", "false");
    if (!m.alt.empty()) fields.emplace_back("alt_text_custom", m.alt);
    std::string file_name = m.path.substr(m.path.find_last_of('/') + 1);
    MultipartBody body = multipart_form(fields, "source", file_name, m.mime, read_file(m.path));
    HttpRequest q{
        "POST", api(s, "/" + page(s) + "/photos"), {{"Content-Type", body.content_type}}, body.body};
    q.timeout = seconds{120};
    HttpResponse r = m_graph.send(q, token(s), "facebook photo upload");
    if (r.status < 200 || r.status >= 300) m_graph.fail(r, "facebook photo upload");
    return RestClient::json_of(r, "facebook photo upload");
  }

  const Clock& m_clock;
  const Config& m_config;
  Pacer m_own_pacer;
  RestClient m_rest;
  meta::Graph m_graph;
};

}  // namespace

std::unique_ptr<Provider> make_facebook_provider(ProviderEnv& env) {
  return std::make_unique<FacebookProvider>(env);
}

}  // namespace crier
