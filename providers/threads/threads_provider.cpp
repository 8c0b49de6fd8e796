#include "providers/threads/threads_provider.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "error.hpp"
#include "http/pacer.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "media/media_store.hpp"
#include "process.hpp"
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

constexpr const char* k_server = "https://graph.threads.net";
constexpr const char* k_version = "/v1.0";
constexpr size_t k_max_chars = 500;
constexpr size_t k_max_carousel = 20;
// Long-lived tokens last 60 days and can be refreshed once a day old.
constexpr auto k_token_life = hours{24 * 60};
constexpr auto k_refresh_when_left = hours{24 * 45};
constexpr auto k_warn_when_left = hours{24 * 7};

const char* k_post_fields = "id,text,timestamp,media_type,permalink,children{id},replied_to,username";

// Threads' media types in listings ("TEXT_POST", "IMAGE", "CAROUSEL_ALBUM").
std::string listed_type(const OutgoingPart& p) {
  if (p.media.empty()) return "TEXT_POST";
  return p.media.size() == 1 ? "IMAGE" : "CAROUSEL_ALBUM";
}

class ThreadsProvider final : public Provider {
 public:
  explicit ThreadsProvider(ProviderEnv& env)
      : m_clock(env.clock),
        m_config(env.config),
        m_media(env.media),
        m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock),
        m_graph(m_rest, "threads") {}

  std::string_view name() const override { return "threads"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = c.threads = true;
    c.inbox_replies = c.inbox_mentions = true;  // Threads has no DM API
    c.reply = c.hide = true;
    c.post_metrics = c.account_metrics = true;
    return c;
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.unit = "characters";
    r.max_length = k_max_chars;
    r.count = [](std::string_view t) { return count_codepoints(t); };
    r.max_images = k_max_carousel;  // one image, or a carousel of 2 to 20
    r.max_image_bytes = 8 * 1024 * 1024;
    r.image_types = {"image/jpeg", "image/png"};
    r.text_required = false;
    r.notes = "images are fetched by Threads from the media store's URL; a thread's parts are replies to each other";
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    std::string token = trim_whitespace(q.secret);
    json given = json::parse(token, nullptr, false);
    if (given.is_object()) token = str(given, "access_token");
    long long life = 0;
    if (token.empty() && q.sign_in) {
      if (auto app = meta::meta_app(m_config, "threads")) {
        meta::SignedIn in = meta::threads_login(m_graph, q.server, *app, *q.sign_in,
                                                "threads_basic,threads_content_publish,threads_manage_replies,"
                                                "threads_read_replies,threads_manage_insights,threads_manage_mentions");
        token = in.token;
        life = in.expires_in > 0 ? in.expires_in : duration_cast<seconds>(k_token_life).count();
      }
    }
    if (token.empty() && q.ask_secret) token = trim_whitespace(q.ask_secret("Threads access token (not shown): "));
    if (token.empty())
      throw Error(ErrorKind::usage, "Threads needs an access token",
                  "make a long-lived token for your Meta app (Threads API, permissions threads_basic, "
                  "threads_content_publish, threads_manage_replies, threads_read_replies, threads_manage_insights), "
                  "then: crier accounts add threads --secret-stdin < token (or set the account's token_cmd)");
    remember_secret(token);
    std::string server = q.server.empty() ? k_server : q.server;
    while (!server.empty() && server.back() == '/') server.pop_back();
    json me = m_graph.get(server + k_version + "/me?fields=id,username,name", token, "threads me");
    std::string id = str(me, "id"), user = str(me, "username");
    if (id.empty() || user.empty()) throw Error(ErrorKind::permanent, "threads me: the answer is not an account");
    Session s;
    s.account.server = server;
    s.secret = json{{"access_token", token}, {"user_id", id}}.dump();
    // Learn when the token expires: the sign-in says; else a refresh does (and makes it good for
    // 60 days from now). A token made less than a day ago cannot be refreshed yet: then it is
    // taken as made now.
    if (life > 0) {
      json sec = json::parse(s.secret);
      sec["issued_at"] = to_unix(m_clock.now());
      sec["expires_at"] = to_unix(m_clock.now()) + life;
      s.secret = sec.dump();
    } else try {
      refresh(s);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::rate_limited || e.kind() == ErrorKind::network) throw;
      json sec = json::parse(s.secret);
      sec["issued_at"] = to_unix(m_clock.now());
      sec["expires_at"] = to_unix(m_clock.now() + k_token_life);
      sec["expiry_estimated"] = true;
      s.secret = sec.dump();
      spdlog::info("threads: the token could not be refreshed yet ({}); taking it as good for 60 days", e.what());
    }
    Connected c;
    c.handle = user;
    c.server = server;
    c.display_name = str(me, "name").empty() ? "@" + user : str(me, "name");
    c.secret = s.secret;
    c.settings = json{{"user_id", id}}.dump();
    return c;
  }

  std::string secret_from_token(const std::string& token) const override {
    return json{{"access_token", trim_whitespace(token)}}.dump();
  }

  void verify(Session& s) override {
    fresh_token(s);
    m_graph.get(api(s, "/me?fields=id,username"), token(s), "threads me");
  }

  std::optional<Timestamp> token_expires_at(const Session& s) const override {
    json sec = json::parse(s.secret, nullptr, false);
    if (!at(sec, "expires_at").is_number()) return std::nullopt;
    return from_unix(at(sec, "expires_at").get<long long>());
  }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    fresh_token(s);
    for (const auto& p : q.parts) {
      if (p.media.size() > k_max_carousel)
        throw Error(ErrorKind::invalid_input, "a Threads post holds at most 20 images, not " +
                                                  std::to_string(p.media.size()));
      if (!p.media.empty()) media();  // no store: say so before anything is sent
    }
    std::vector<meta::ContainerState> progress = meta::read_progress(q.progress);
    progress.resize(q.parts.size());
    PublishResult out;
    out.parts = q.already;
    if (out.parts.empty() && progress[0].media.empty()) check_quota(s, false);
    else if (out.parts.size() < q.parts.size()) check_quota(s, true);
    for (size_t i = out.parts.size(); i < q.parts.size(); ++i) {
      std::string reply_to = i == 0 ? "" : out.parts[i - 1].remote_id;
      out.parts.push_back(publish_part(s, q, i, progress, reply_to));
    }
    for (const auto& p : q.parts)
      for (const auto& m : p.media) media().done_with(m);
    return out;
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    fresh_token(s);
    std::vector<meta::ContainerState> progress = meta::read_progress(q.progress);
    progress.resize(q.parts.size());
    PublishResult found;
    for (size_t i = 0; i < q.parts.size(); ++i) {
      meta::ContainerState& st = progress[i];
      std::string parent = i == 0 ? "" : found.parts[i - 1].remote_id;
      if (!st.media.empty()) {  // published, and crier heard the answer
        found.parts.push_back({st.media, st.url.empty() ? permalink(s, st.media) : st.url});
        continue;
      }
      if (!st.container.empty()) {
        std::string status = container_status(s, st.container).first;
        if (status != "PUBLISHED") break;  // made but never published: publish goes on from it
        auto post = find_own(s, q, i, parent);
        if (!post)
          throw Error(ErrorKind::transient,
                      "threads: the container was published but the post is not listed yet",
                      "crier looks again on the next run");
        found.parts.push_back(*post);
        continue;
      }
      // Nothing kept of this part (a crash before its container's id was stored): look anyway.
      auto post = find_own(s, q, i, parent);
      if (!post) break;
      found.parts.push_back(*post);
    }
    if (found.parts.empty()) return std::nullopt;
    return found;
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    fresh_token(s);
    if (stream == InboxStream::dms) throw Error(ErrorKind::unsupported, "Threads has no API for messages");
    std::vector<RemoteItem> items;
    if (stream == InboxStream::mentions) {
      json answer = m_graph.get(api(s, "/" + user_id(s) + "/mentions?fields=id,text,username,timestamp,permalink,root_post,replied_to&limit=50"),
                                token(s), "threads mentions");
      for (const auto& m : list(answer, "data")) {
        RemoteItem item = item_from(m, "mention");
        if (!item.remote_id.empty()) items.push_back(std::move(item));
      }
    } else {
      // Replies to our posts of the last threads.inbox_days days, each post's whole conversation.
      auto since = m_clock.now() - hours{24 * m_config.get_int("threads.inbox_days")};
      json posts = m_graph.get(api(s, "/" + user_id(s) + "/threads?fields=id,timestamp&limit=50&since=" +
                                          std::to_string(to_unix(since))),
                               token(s), "threads posts");
      for (const auto& p : list(posts, "data")) {
        std::string id = str(p, "id");
        if (id.empty()) continue;
        json conv = m_graph.get(api(s, "/" + id + "/conversation?fields=id,text,username,timestamp,permalink,root_post,replied_to,hide_status&reverse=false&limit=100"),
                                token(s), "threads conversation");
        for (const auto& r : list(conv, "data")) {
          RemoteItem item = item_from(r, "reply");
          if (item.remote_id.empty() || item.author == s.account.handle) continue;
          if (item.thread_id.empty()) item.thread_id = id;
          items.push_back(std::move(item));
        }
      }
    }
    return meta::page_after(std::move(items), cursor);
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text, const std::string&) override {
    fresh_token(s);
    check_quota(s, true);
    meta::ContainerState st;
    auto plan = [&] {
      return meta::ContainerPlan{{{"media_type", "TEXT"}, {"text", text}, {"reply_to_id", to.remote_id}}, {}};
    };
    return meta::publish_container(containers(s, [] { return std::optional<PublishedPart>(); }), st, plan, [] {});
  }

  void hide(Session& s, const RemoteItem& item, bool hidden) override {
    fresh_token(s);
    if (item.kind != "reply")
      throw Error(ErrorKind::unsupported, "Threads hides replies to our posts only, not a " + item.kind);
    m_graph.post(api(s, "/" + item.remote_id + "/manage_reply"), {{"hide", hidden ? "true" : "false"}}, token(s),
                 "threads hide reply");
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    fresh_token(s);
    std::vector<PostStats> out;
    for (const auto& id : ids) {
      json answer;
      try {
        answer = m_graph.get(api(s, "/" + id + "/insights?metric=views,likes,replies,reposts,quotes,shares"),
                             token(s), "threads insights");
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) continue;  // deleted on Threads
        throw;
      }
      PostStats st;
      st.remote_id = id;
      for (const auto& m : list(answer, "data")) {
        std::string metric = str(m, "name");
        int64_t v = metric_value(m);
        if (metric == "likes") st.likes = v;
        else if (metric == "replies") st.replies = v;
        else if (metric == "reposts") st.reposts = v;
        else if (metric == "quotes") st.quotes = v;
        else if (metric == "views") st.views = v;
      }
      out.push_back(st);
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    fresh_token(s);
    json answer = m_graph.get(api(s, "/" + user_id(s) + "/threads_insights?metric=followers_count"), token(s),
                              "threads insights");
    AccountStats a;
    for (const auto& m : list(answer, "data"))
      if (str(m, "name") == "followers_count") a.followers = metric_value(m);
    return a;
  }

 private:
  // {"values":[{"value":N}]} for a post, {"total_value":{"value":N}} for the account.
  static int64_t metric_value(const json& m) {
    if (at(m, "total_value").is_object()) return count(at(m, "total_value"), "value");
    const json& values = list(m, "values");
    return values.empty() ? 0 : count(values.back(), "value");
  }

  RemoteItem item_from(const json& r, const char* kind) const {
    RemoteItem item;
    item.kind = kind;
    item.remote_id = str(r, "id");
    item.thread_id = str(at(r, "root_post"), "id");
    item.parent_remote_id = str(at(r, "replied_to"), "id");
    item.author = str(r, "username");
    item.author_name = item.author.empty() ? "" : "@" + item.author;
    item.text = str(r, "text");
    item.url = str(r, "permalink");
    item.created_at = meta::parse_graph_time(str(r, "timestamp"));
    item.meta = json{{"hide_status", str(r, "hide_status")}}.dump();
    return item;
  }

  MediaStore& media() { return m_media->get("Threads"); }

  std::string api(const Session& s, const std::string& path) const {
    std::string server = s.account.server.empty() ? k_server : s.account.server;
    return server + k_version + path;
  }

  static std::string token(const Session& s) {
    json sec = json::parse(s.secret, nullptr, false);
    return str(sec, "access_token");
  }

  std::string user_id(const Session& s) const {
    json settings = json::parse(s.account.settings, nullptr, false);
    std::string id = str(settings, "user_id");
    if (id.empty()) id = str(json::parse(s.secret, nullptr, false), "user_id");
    if (id.empty()) id = "me";
    return id;
  }

  // th_refresh_token: a new long-lived token, good for 60 days from now.
  void refresh(Session& s) {
    json sec = json::parse(s.secret, nullptr, false);
    std::string server = s.account.server.empty() ? k_server : s.account.server;
    HttpResponse r = m_graph.send(
        HttpRequest{"GET", server + "/refresh_access_token?grant_type=th_refresh_token", {}, ""},
        str(sec, "access_token"), "threads token refresh");
    if (r.status < 200 || r.status >= 300) m_graph.fail(r, "threads token refresh");
    json t = RestClient::json_of(r, "threads token refresh");
    std::string fresh = str(t, "access_token");
    if (fresh.empty()) throw Error(ErrorKind::transient, "threads token refresh: the answer holds no token");
    remember_secret(fresh);
    long long life = count(t, "expires_in");
    if (life <= 0) life = duration_cast<seconds>(k_token_life).count();
    sec["access_token"] = fresh;
    sec["issued_at"] = to_unix(m_clock.now());
    sec["expires_at"] = to_unix(m_clock.now()) + life;
    sec.erase("expiry_estimated");
    s.secret = sec.dump();
    s.save_secret(s.secret);
  }

  // Refreshes a token that has used up a quarter of its life (it must be a day old), and says
  // so loudly when one close to its end cannot be refreshed. An expired one pauses the account.
  void fresh_token(Session& s) {
    remember_secrets_in(s.secret);
    json sec = json::parse(s.secret, nullptr, false);
    if (!at(sec, "expires_at").is_number()) return;  // unknown: the network says when it is refused
    Timestamp expires = from_unix(at(sec, "expires_at").get<long long>());
    Timestamp issued = from_unix(at(sec, "issued_at").is_number() ? at(sec, "issued_at").get<long long>() : 0);
    Timestamp now = m_clock.now();
    if (expires <= now)
      throw Error(ErrorKind::auth, "the Threads token of " + s.account.name() + " expired on " + format_utc(expires),
                  "make a new one and: crier accounts add threads --handle " + s.account.handle + " --secret-stdin");
    if (expires - now > k_refresh_when_left || now - issued < hours{24}) return;
    try {
      refresh(s);
    } catch (const Error& e) {
      if (expires - now <= k_warn_when_left)
        spdlog::warn("{}: the Threads token expires on {} and could not be refreshed: {}", s.account.name(),
                     format_utc(expires), e.what());
      if (e.kind() == ErrorKind::rate_limited) throw;
    }
  }

  // Meta's own count of what was published in the last 24 hours: a used-up quota is a wait.
  void check_quota(Session& s, bool reply) {
    json answer = m_graph.get(api(s, "/" + user_id(s) + "/threads_publishing_limit?fields=quota_usage,config,reply_quota_usage,reply_config"),
                              token(s), "threads publishing limit");
    auto oldest = [&](Timestamp start) {
      return meta::oldest_in(m_graph.get(api(s, "/" + user_id(s) + (reply ? "/replies" : "/threads") +
                                                "?fields=id,timestamp&limit=100&since=" + std::to_string(to_unix(start))),
                                         token(s), "threads own posts"),
                             "timestamp");
    };
    if (reply)
      meta::check_quota(answer, "reply_quota_usage", "reply_config", "threads reply quota", m_clock.now(), oldest);
    else
      meta::check_quota(answer, "quota_usage", "config", "threads publishing quota", m_clock.now(), oldest);
  }

  std::pair<std::string, std::string> container_status(Session& s, const std::string& id) {
    json c = m_graph.get(api(s, "/" + id + "?fields=status,error_message"), token(s), "threads container status");
    return {str(c, "status"), str(c, "error_message")};
  }

  // How Threads makes, checks and publishes containers, for publish and reply alike.
  meta::ContainerApi containers(Session& s, std::function<std::optional<PublishedPart>()> find_published) {
    meta::ContainerApi c;
    c.network = "threads";
    c.max_wait = milliseconds{1000 * m_config.get_int("threads.container_wait_seconds")};
    c.create = [this, &s](const FormFields& fields, std::string_view what) {
      return str(m_graph.post(api(s, "/" + user_id(s) + "/threads"), fields, token(s), what), "id");
    };
    c.status = [this, &s](const std::string& id) { return container_status(s, id); };
    c.publish = [this, &s](const std::string& id) {
      return str(m_graph.post(api(s, "/" + user_id(s) + "/threads_publish"), {{"creation_id", id}}, token(s),
                              "threads publish"),
                 "id");
    };
    c.permalink = [this, &s](const std::string& id) { return permalink(s, id); };
    c.find_published = std::move(find_published);
    return c;
  }

  std::string permalink(Session& s, const std::string& media_id) {
    try {
      json m = m_graph.get(api(s, "/" + media_id + "?fields=id,permalink"), token(s), "threads post");
      return str(m, "permalink");
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::rate_limited) throw;
      spdlog::debug("threads: no permalink for {}: {}", media_id, e.what());
      return "";
    }
  }

  // Part i as a container (its images carousel items when there are several), published; every
  // id kept in the delivery's progress before the next request.
  PublishedPart publish_part(Session& s, const PublishRequest& q, size_t i,
                             std::vector<meta::ContainerState>& progress, const std::string& reply_to) {
    const OutgoingPart& part = q.parts[i];
    meta::ContainerApi c = containers(s, [&] { return find_own(s, q, i, reply_to); });
    auto plan = [&] {
      meta::ContainerPlan p;
      if (part.media.size() > 1) {
        for (const auto& m : part.media) {
          FormFields item{{"media_type", "IMAGE"}, {"image_url", media().public_url(m)}, {"is_carousel_item", "true"}};
          if (!m.alt.empty()) item.emplace_back("alt_text", m.alt);
          p.items.push_back(item);
        }
        p.post = {{"media_type", "CAROUSEL"}};
      } else if (part.media.size() == 1) {
        p.post = {{"media_type", "IMAGE"}, {"image_url", media().public_url(part.media[0])}};
        if (!part.media[0].alt.empty()) p.post.emplace_back("alt_text", part.media[0].alt);
      } else {
        p.post = {{"media_type", "TEXT"}};
      }
      if (!part.text.empty()) p.post.emplace_back("text", part.text);
      if (!reply_to.empty()) p.post.emplace_back("reply_to_id", reply_to);
      return p;
    };
    return meta::publish_container(c, progress[i], plan, [&] { q.save_progress(meta::write_progress(progress)); });
  }

  // This delivery's part i among the account's own posts (the root) or replies (a later part):
  // made since the attempt began (or in the clock margin before it, when nothing later is),
  // with the part's text, kind and image count, answering the part before it, and not another
  // delivery's. Oldest first.
  std::optional<PublishedPart> find_own(Session& s, const PublishRequest& q, size_t i, const std::string& parent) {
    const OutgoingPart& part = q.parts[i];
    std::string edge = parent.empty() ? "/threads" : "/replies";
    json answer = m_graph.get(api(s, "/" + user_id(s) + edge + "?fields=" + k_post_fields + "&limit=50&since=" +
                                         std::to_string(to_unix(q.not_before))),
                              token(s), "threads own posts");
    const json& data = list(answer, "data");
    const json* found = nullptr;
    const json* in_margin = nullptr;
    for (auto it = data.rbegin(); it != data.rend(); ++it) {  // newest first on Threads
      const json& p = *it;
      std::string id = str(p, "id");
      if (id.empty() || trim_whitespace(str(p, "text")) != trim_whitespace(part.text)) continue;
      if (str(p, "media_type") != listed_type(part)) continue;
      if (part.media.size() > 1 && list(at(p, "children"), "data").size() != part.media.size()) continue;
      if (!parent.empty() && str(at(p, "replied_to"), "id") != parent) continue;
      Timestamp t = meta::parse_graph_time(str(p, "timestamp"));
      if (t < q.not_before) continue;
      if (i == 0 && q.taken && q.taken(id)) continue;
      if (t >= q.attempt_started) {
        found = &p;
        break;
      }
      if (in_margin == nullptr) in_margin = &p;
    }
    if (found == nullptr) found = in_margin;
    if (found == nullptr) return std::nullopt;
    std::string url = str(*found, "permalink");
    return PublishedPart{str(*found, "id"), url};
  }

  const Clock& m_clock;
  const Config& m_config;
  MediaStores* m_media;
  Pacer m_own_pacer;
  RestClient m_rest;
  meta::Graph m_graph;
};

}  // namespace

std::unique_ptr<Provider> make_threads_provider(ProviderEnv& env) { return std::make_unique<ThreadsProvider>(env); }

}  // namespace crier
