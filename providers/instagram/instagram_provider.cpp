#include "providers/instagram/instagram_provider.hpp"

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

// Two ways in: Facebook Login (a Page's linked Instagram business or creator account, on
// graph.facebook.com, with the Page's token) and Instagram Login (the account's own token,
// "IG...", on graph.instagram.com).
constexpr const char* k_facebook = "https://graph.facebook.com";
constexpr const char* k_instagram = "https://graph.instagram.com";
constexpr const char* k_version = "/v21.0";
constexpr size_t k_caption_max = 2200;
constexpr size_t k_max_hashtags = 30, k_max_mentions = 20;
constexpr size_t k_max_carousel = 10;
constexpr auto k_token_life = hours{24 * 60};
constexpr auto k_refresh_when_left = hours{24 * 45};
constexpr auto k_warn_when_left = hours{24 * 7};

const char* k_media_fields = "id,caption,media_type,timestamp,permalink,children{id}";

// #tags and @names as Instagram counts them: a '#' or '@' starting a word.
size_t count_marks(std::string_view text, char mark) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != mark) continue;
    bool starts = i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '(';
    bool has_word = i + 1 < text.size() && (std::isalnum(static_cast<unsigned char>(text[i + 1])) ||
                                            text[i + 1] == '_' || static_cast<unsigned char>(text[i + 1]) >= 0x80);
    if (starts && has_word) ++n;
  }
  return n;
}

std::string listed_type(const OutgoingPart& p) { return p.media.size() > 1 ? "CAROUSEL_ALBUM" : "IMAGE"; }

class InstagramProvider final : public Provider {
 public:
  explicit InstagramProvider(ProviderEnv& env)
      : m_clock(env.clock),
        m_config(env.config),
        m_media(env.media),
        m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock),
        m_graph(m_rest, "instagram") {}

  std::string_view name() const override { return "instagram"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = true;
    c.inbox_replies = c.inbox_mentions = c.inbox_dms = true;
    c.reply = c.send_dm = c.hide = true;
    c.post_metrics = c.account_metrics = true;
    return c;  // no threads, no text-only posts
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.unit = "characters";
    r.max_length = k_caption_max;
    r.count = [](std::string_view t) { return count_codepoints(t); };
    r.max_images = k_max_carousel;  // one image, or a carousel of 2 to 10
    r.max_image_bytes = 8 * 1024 * 1024;
    r.image_types = {"image/jpeg"};
    r.text_required = false;
    r.media_required = true;
    r.min_aspect = 4.0 / 5.0;
    r.max_aspect = 1.91;
    r.check_text = [](std::string_view t) -> std::string {
      size_t tags = count_marks(t, '#'), names = count_marks(t, '@');
      if (tags > k_max_hashtags)
        return "the caption has " + std::to_string(tags) + " hashtags; Instagram takes at most 30";
      if (names > k_max_mentions)
        return "the caption mentions " + std::to_string(names) + " accounts; Instagram takes at most 20";
      return "";
    };
    r.notes = "a caption of at most 2,200 characters, 30 hashtags and 20 mentions; JPEG images only, fetched by "
              "Instagram from the media store's URL";
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    std::string token = trim_whitespace(q.secret);
    json given = json::parse(token, nullptr, false);
    if (given.is_object()) token = str(given, "access_token");
    if (token.empty() && q.sign_in) {
      if (auto app = meta::meta_app(m_config, "instagram"))  // Facebook Login, through a Page
        token = meta::facebook_login(m_graph, q.server, *app, *q.sign_in,
                                     "instagram_basic,instagram_content_publish,instagram_manage_comments,"
                                     "instagram_manage_messages,pages_show_list,pages_read_engagement,"
                                     "pages_manage_metadata,business_management")
                    .token;
    }
    if (token.empty() && q.ask_secret) token = trim_whitespace(q.ask_secret("Instagram access token (not shown): "));
    if (token.empty())
      throw Error(ErrorKind::usage, "Instagram needs an access token",
                  "a long-lived token of your Meta app: from Instagram Login (instagram_business_basic, "
                  "instagram_business_content_publish, instagram_business_manage_comments, "
                  "instagram_business_manage_messages), or a Facebook user token whose Pages have a linked Instagram "
                  "account; then: crier accounts add instagram --secret-stdin < token");
    remember_secret(token);
    bool ig_login = token.rfind("IG", 0) == 0;
    std::string server = q.server.empty() ? (ig_login ? k_instagram : k_facebook) : q.server;
    while (!server.empty() && server.back() == '/') server.pop_back();
    Session s;
    s.account.server = server;
    json sec;
    std::string user, name;
    if (ig_login && !q.page.empty())
      throw Error(ErrorKind::usage, "--page picks a Facebook Page, and this is an Instagram Login token",
                  "leave --page out, or give a Facebook user token whose Page has the account linked");
    if (ig_login) {
      json me = m_graph.get(server + k_version + "/me?fields=user_id,username,name", token, "instagram me");
      std::string id = str(me, "user_id").empty() ? str(me, "id") : str(me, "user_id");
      user = str(me, "username");
      name = str(me, "name");
      if (id.empty() || user.empty()) throw Error(ErrorKind::permanent, "instagram me: the answer is not an account");
      std::string wanted = q.ig_user;
      while (!wanted.empty() && wanted.front() == '@') wanted.erase(0, 1);
      if (!wanted.empty() && wanted != user && wanted != id)
        throw Error(ErrorKind::usage, "this token is @" + user + "'s, not @" + wanted + "'s",
                    "sign in to Instagram as @" + wanted + " for its token");
      sec = {{"access_token", token}, {"login", "instagram"}, {"ig_user_id", id}};
    } else {
      // The Pages this user manages, each with its linked Instagram account and its own token.
      json pages = m_graph.get(
          server + k_version + "/me/accounts?fields=id,name,access_token,instagram_business_account{id,username,name}",
          token, "instagram pages");
      // --ig-user (or --handle) names the Instagram account; --page the Page it is linked to.
      std::string wanted = q.ig_user.empty() ? q.handle : q.ig_user;
      while (!wanted.empty() && wanted.front() == '@') wanted.erase(0, 1);
      std::vector<const json*> linked;
      for (const auto& p : list(pages, "data"))
        if (at(p, "instagram_business_account").is_object() &&
            (q.page.empty() || str(p, "id") == q.page || str(p, "name") == q.page))
          linked.push_back(&p);
      if (linked.empty() && !q.page.empty())
        throw Error(ErrorKind::invalid_input, "no Page " + q.page + " with a linked Instagram account among this user's",
                    "leave --page out to see the Pages that have one");
      if (linked.empty())
        throw Error(ErrorKind::invalid_input, "none of this user's Facebook Pages has a linked Instagram account",
                    "link a business or creator account to a Page (Page settings, Linked accounts), or use "
                    "Instagram Login");
      const json* chosen = nullptr;
      std::string names;
      for (const json* p : linked) {
        const json& ig = at(*p, "instagram_business_account");
        names += (names.empty() ? "" : ", ") + ("@" + str(ig, "username")) + " (Page " + str(*p, "name") + ")";
        if (!wanted.empty() && (str(ig, "username") == wanted || str(ig, "id") == wanted)) chosen = p;
      }
      if (chosen == nullptr && wanted.empty() && linked.size() == 1) chosen = linked[0];
      if (chosen == nullptr)
        throw Error(ErrorKind::usage,
                    wanted.empty() ? "this user's Pages have several Instagram accounts: which one?"
                                   : "no Instagram account @" + wanted + " is linked to this user's Pages",
                    "crier accounts add instagram --ig-user NAME, one of: " + names);
      const json& ig = at(*chosen, "instagram_business_account");
      user = str(ig, "username");
      name = str(ig, "name");
      // The Page's token: from a long-lived user token it does not expire.
      std::string page_token = str(*chosen, "access_token");
      remember_secret(page_token);
      sec = {{"access_token", page_token.empty() ? token : page_token},
             {"login", "facebook"},
             {"ig_user_id", str(ig, "id")},
             {"page_id", str(*chosen, "id")}};
    }
    s.secret = sec.dump();
    if (ig_login) learn_expiry(s);
    Connected c;
    c.handle = user;
    c.server = server;
    c.display_name = name.empty() ? "@" + user : name;
    c.secret = s.secret;
    c.settings = json{{"ig_user_id", sec["ig_user_id"]}, {"page_id", str(sec, "page_id")}}.dump();
    return c;
  }

  std::string secret_from_token(const std::string& token) const override {
    // A token_cmd gives an Instagram Login token; the account's ids come from its settings.
    return json{{"access_token", trim_whitespace(token)}, {"login", "instagram"}}.dump();
  }

  void verify(Session& s) override {
    fresh_token(s);
    m_graph.get(api(s, "/" + ig_user(s) + "?fields=id,username"), token(s), "instagram account");
  }

  std::optional<Timestamp> token_expires_at(const Session& s) const override {
    json sec = json::parse(s.secret, nullptr, false);
    if (!at(sec, "expires_at").is_number()) return std::nullopt;
    return from_unix(at(sec, "expires_at").get<long long>());
  }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    if (q.parts.size() != 1)
      throw Error(ErrorKind::unsupported, "Instagram has no threads", "post the caption whole (2,200 characters)");
    const OutgoingPart& part = q.parts[0];
    if (part.media.empty())
      throw Error(ErrorKind::invalid_input, "an Instagram post needs an image", "add --image FILE");
    if (part.media.size() > k_max_carousel)
      throw Error(ErrorKind::invalid_input,
                  "an Instagram carousel holds at most 10 images, not " + std::to_string(part.media.size()));
    media();  // no store: say so before anything is sent
    fresh_token(s);
    std::vector<meta::ContainerState> progress = meta::read_progress(q.progress);
    progress.resize(1);
    if (progress[0].media.empty()) check_quota(s);
    meta::ContainerApi c;
    c.network = "instagram";
    c.max_wait = milliseconds{1000 * m_config.get_int("instagram.container_wait_seconds")};
    c.create = [&](const FormFields& fields, std::string_view what) {
      return str(m_graph.post(api(s, "/" + ig_user(s) + "/media"), fields, token(s), what), "id");
    };
    c.status = [&](const std::string& id) { return container_status(s, id); };
    c.publish = [&](const std::string& id) {
      return str(m_graph.post(api(s, "/" + ig_user(s) + "/media_publish"), {{"creation_id", id}}, token(s),
                              "instagram publish"),
                 "id");
    };
    c.permalink = [&](const std::string& id) { return permalink(s, id); };
    c.find_published = [&] { return find_own(s, q); };
    auto plan = [&] {
      meta::ContainerPlan p;
      if (part.media.size() > 1) {
        for (const auto& m : part.media) {
          FormFields item{{"image_url", media().public_url(m)}, {"is_carousel_item", "true"}};
          if (!m.alt.empty()) item.emplace_back("alt_text", m.alt);
          p.items.push_back(item);
        }
        p.post = {{"media_type", "CAROUSEL"}};
      } else {
        p.post = {{"image_url", media().public_url(part.media[0])}};
        if (!part.media[0].alt.empty()) p.post.emplace_back("alt_text", part.media[0].alt);
      }
      if (!part.text.empty()) p.post.emplace_back("caption", part.text);
      return p;
    };
    PublishedPart made =
        meta::publish_container(c, progress[0], plan, [&] { q.save_progress(meta::write_progress(progress)); });
    for (const auto& m : part.media) media().done_with(m);
    return PublishResult{{made}};
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    if (q.parts.size() != 1) return std::nullopt;
    fresh_token(s);
    std::vector<meta::ContainerState> progress = meta::read_progress(q.progress);
    progress.resize(1);
    meta::ContainerState& st = progress[0];
    if (!st.media.empty()) return PublishResult{{{st.media, st.url.empty() ? permalink(s, st.media) : st.url}}};
    if (!st.container.empty()) {
      std::string status = container_status(s, st.container).first;
      if (status != "PUBLISHED") return std::nullopt;  // made, never published: publish goes on from it
      auto post = find_own(s, q);
      if (!post)
        throw Error(ErrorKind::transient, "instagram: the container was published but the post is not listed yet",
                    "crier looks again on the next run");
      return PublishResult{{*post}};
    }
    auto post = find_own(s, q);
    if (!post) return std::nullopt;
    return PublishResult{{*post}};
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    fresh_token(s);
    std::vector<RemoteItem> items;
    if (stream == InboxStream::replies) {
      // Comments (and replies to them) on our media of the last instagram.inbox_days days.
      auto since = m_clock.now() - hours{24 * m_config.get_int("instagram.inbox_days")};
      json posts = m_graph.get(api(s, "/" + ig_user(s) + "/media?fields=id,timestamp,permalink&limit=50&since=" +
                                          std::to_string(to_unix(since))),
                               token(s), "instagram media");
      for (const auto& p : list(posts, "data")) {
        std::string media_id = str(p, "id");
        if (media_id.empty()) continue;
        json comments = m_graph.get(
            api(s, "/" + media_id + "/comments?fields=id,text,timestamp,username,from{id,username},replies{id,text,timestamp,username,from{id,username}}&limit=50"),
            token(s), "instagram comments");
        for (const auto& c : list(comments, "data")) {
          RemoteItem item = comment_item(c, "comment", media_id, media_id, str(p, "permalink"));
          if (!item.remote_id.empty() && item.author != s.account.handle) items.push_back(item);
          for (const auto& r : list(at(c, "replies"), "data")) {
            RemoteItem reply = comment_item(r, "reply", media_id, str(c, "id"), str(p, "permalink"));
            if (!reply.remote_id.empty() && reply.author != s.account.handle) items.push_back(reply);
          }
        }
      }
    } else if (stream == InboxStream::mentions) {
      // Media others tagged us in.
      json tags = m_graph.get(api(s, "/" + ig_user(s) + "/tags?fields=id,caption,username,timestamp,permalink&limit=50"),
                              token(s), "instagram tags");
      for (const auto& t : list(tags, "data")) {
        RemoteItem item;
        item.kind = "mention";
        item.remote_id = str(t, "id");
        item.thread_id = item.remote_id;
        item.author = str(t, "username");
        item.author_name = item.author.empty() ? "" : "@" + item.author;
        item.text = str(t, "caption");
        item.url = str(t, "permalink");
        item.created_at = meta::parse_graph_time(str(t, "timestamp"));
        if (!item.remote_id.empty() && !item.author.empty()) items.push_back(item);
      }
    } else {
      // Direct messages, through the Messenger platform's Instagram conversations.
      json conv = m_graph.get(
          api(s, "/" + messaging_node(s) +
                     "/conversations?platform=instagram&fields=id,updated_time,participants,messages.limit(20){id,created_time,from,to,message}"),
          token(s), "instagram conversations");
      for (const auto& c : list(conv, "data")) {
        for (const auto& m : list(at(c, "messages"), "data")) {
          const json& from = at(m, "from");
          std::string author = str(from, "username");
          if (author.empty() || author == s.account.handle || str(from, "id") == ig_user(s)) continue;  // ours
          RemoteItem item;
          item.kind = "dm";
          item.remote_id = str(m, "id");
          item.thread_id = str(c, "id");
          item.author = author;
          item.author_name = "@" + author;
          item.text = str(m, "message");
          item.url = "https://www.instagram.com/direct/inbox/";
          item.created_at = meta::parse_graph_time(str(m, "created_time"));
          item.meta = json{{"sender_id", str(from, "id")}}.dump();
          if (!item.remote_id.empty()) items.push_back(item);
        }
      }
    }
    return meta::page_after(items, cursor);
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text, const std::string&) override {
    fresh_token(s);
    if (to.kind == "dm")
      return meta::send_message(m_graph, api(s, "/" + messaging_node(s) + "/messages"), token(s), to, text,
                                m_clock.now());
    if (to.kind == "mention")
      throw Error(ErrorKind::unsupported, "Instagram lets an account answer tags only by commenting on that post",
                  "open " + to.url + " and comment there");
    // Comments are answered under the top-level comment (Instagram nests one level deep).
    std::string target = to.kind == "reply" && !to.parent_remote_id.empty() ? to.parent_remote_id : to.remote_id;
    json made = m_graph.post(api(s, "/" + target + "/replies"), {{"message", text}}, token(s), "instagram reply");
    std::string id = str(made, "id");
    if (id.empty()) throw Error(ErrorKind::transient, "instagram reply: the answer names no comment");
    return {id, to.url};
  }

  void hide(Session& s, const RemoteItem& item, bool hidden) override {
    fresh_token(s);
    if (item.kind != "comment" && item.kind != "reply")
      throw Error(ErrorKind::unsupported, "Instagram hides comments on our posts only, not a " + item.kind);
    m_graph.post(api(s, "/" + item.remote_id), {{"hide", hidden ? "true" : "false"}}, token(s),
                 "instagram hide comment");
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    fresh_token(s);
    std::vector<PostStats> out;
    for (const auto& id : ids) {
      json counts, insights;
      try {
        counts = m_graph.get(api(s, "/" + id + "?fields=like_count,comments_count"), token(s), "instagram media");
        insights = m_graph.get(api(s, "/" + id + "/insights?metric=reach,likes,comments,shares,saved,views"),
                               token(s), "instagram insights");
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) continue;  // deleted on Instagram
        if (e.kind() != ErrorKind::permanent) throw;
        spdlog::debug("instagram: no insights for {}: {}", id, e.what());
      }
      PostStats st;
      st.remote_id = id;
      st.likes = count(counts, "like_count");
      st.replies = count(counts, "comments_count");
      for (const auto& m : list(insights, "data")) {
        std::string metric = str(m, "name");
        const json& values = list(m, "values");
        int64_t v = at(m, "total_value").is_object() ? count(at(m, "total_value"), "value")
                    : values.empty()                ? 0
                                                    : count(values.back(), "value");
        if (metric == "likes") st.likes = v;
        else if (metric == "comments") st.replies = v;
        else if (metric == "shares") st.reposts = v;
        else if (metric == "views") st.views = v;
      }
      out.push_back(st);
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    fresh_token(s);
    json me = m_graph.get(api(s, "/" + ig_user(s) + "?fields=followers_count,follows_count,media_count"), token(s),
                          "instagram account");
    AccountStats a;
    a.followers = count(me, "followers_count");
    if (at(me, "follows_count").is_number()) a.following = count(me, "follows_count");
    if (at(me, "media_count").is_number()) a.posts = count(me, "media_count");
    return a;
  }

 private:
  MediaStore& media() { return m_media->get("Instagram"); }

  std::string api(const Session& s, const std::string& path) const {
    std::string server = s.account.server.empty() ? k_facebook : s.account.server;
    return server + k_version + path;
  }

  static json secret_of(const Session& s) { return json::parse(s.secret, nullptr, false); }
  static std::string token(const Session& s) { return str(secret_of(s), "access_token"); }

  std::string setting(const Session& s, const char* key) const {
    std::string v = str(json::parse(s.account.settings, nullptr, false), key);
    return v.empty() ? str(secret_of(s), key) : v;
  }
  std::string ig_user(const Session& s) const {
    std::string id = setting(s, "ig_user_id");
    return id.empty() ? "me" : id;
  }
  // Where messages live: the Page (Facebook Login), or the account itself (Instagram Login).
  std::string messaging_node(const Session& s) const {
    std::string page = setting(s, "page_id");
    return page.empty() ? ig_user(s) : page;
  }

  // ig_refresh_token: a new 60-day token (Instagram Login tokens only; a Page's token from a
  // long-lived user token does not expire).
  void refresh(Session& s) {
    json sec = secret_of(s);
    std::string server = s.account.server.empty() ? k_instagram : s.account.server;
    HttpResponse r = m_graph.send(
        HttpRequest{"GET", server + "/refresh_access_token?grant_type=ig_refresh_token", {}, ""},
        str(sec, "access_token"), "instagram token refresh");
    if (r.status < 200 || r.status >= 300) m_graph.fail(r, "instagram token refresh");
    json t = RestClient::json_of(r, "instagram token refresh");
    std::string fresh = str(t, "access_token");
    if (fresh.empty()) throw Error(ErrorKind::transient, "instagram token refresh: the answer holds no token");
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

  void learn_expiry(Session& s) {
    try {
      refresh(s);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::rate_limited || e.kind() == ErrorKind::network) throw;
      json sec = secret_of(s);
      sec["issued_at"] = to_unix(m_clock.now());
      sec["expires_at"] = to_unix(m_clock.now() + k_token_life);
      sec["expiry_estimated"] = true;
      s.secret = sec.dump();
      spdlog::info("instagram: the token could not be refreshed yet ({}); taking it as good for 60 days", e.what());
    }
  }

  void fresh_token(Session& s) {
    remember_secrets_in(s.secret);
    json sec = secret_of(s);
    if (!at(sec, "expires_at").is_number()) return;
    Timestamp expires = from_unix(at(sec, "expires_at").get<long long>());
    Timestamp issued = from_unix(at(sec, "issued_at").is_number() ? at(sec, "issued_at").get<long long>() : 0);
    Timestamp now = m_clock.now();
    if (expires <= now)
      throw Error(ErrorKind::auth, "the Instagram token of " + s.account.name() + " expired on " + format_utc(expires),
                  "make a new one and: crier accounts add instagram --secret-stdin");
    if (expires - now > k_refresh_when_left || now - issued < hours{24} || str(sec, "login") != "instagram") return;
    try {
      refresh(s);
    } catch (const Error& e) {
      if (expires - now <= k_warn_when_left)
        spdlog::warn("{}: the Instagram token expires on {} and could not be refreshed: {}", s.account.name(),
                     format_utc(expires), e.what());
      if (e.kind() == ErrorKind::rate_limited) throw;
    }
  }

  void check_quota(Session& s) {
    json answer = m_graph.get(api(s, "/" + ig_user(s) + "/content_publishing_limit?fields=quota_usage,config"),
                              token(s), "instagram publishing limit");
    meta::check_quota(answer, "quota_usage", "config", "instagram publishing quota", m_clock.now(), [&](Timestamp start) {
      return meta::oldest_in(m_graph.get(api(s, "/" + ig_user(s) + "/media?fields=id,timestamp&limit=100&since=" +
                                                std::to_string(to_unix(start))),
                                         token(s), "instagram own media"),
                             "timestamp");
    });
  }

  // Only status_code is reliable (its status text varies).
  std::pair<std::string, std::string> container_status(Session& s, const std::string& id) {
    json c = m_graph.get(api(s, "/" + id + "?fields=status_code,status"), token(s), "instagram container status");
    return {str(c, "status_code"), str(c, "status")};
  }

  std::string permalink(Session& s, const std::string& id) {
    try {
      return str(m_graph.get(api(s, "/" + id + "?fields=id,permalink"), token(s), "instagram media"), "permalink");
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::rate_limited) throw;
      return "";
    }
  }

  // This delivery's post among the account's own: same caption, kind and image count, made
  // since the attempt began (or in the clock margin when nothing later is), not another's.
  std::optional<PublishedPart> find_own(Session& s, const PublishRequest& q) {
    const OutgoingPart& part = q.parts[0];
    json answer = m_graph.get(api(s, "/" + ig_user(s) + "/media?fields=" + k_media_fields + "&limit=50&since=" +
                                         std::to_string(to_unix(q.not_before))),
                              token(s), "instagram own media");
    const json& data = list(answer, "data");
    const json* found = nullptr;
    const json* in_margin = nullptr;
    for (auto it = data.rbegin(); it != data.rend(); ++it) {  // newest first on Instagram
      const json& p = *it;
      std::string id = str(p, "id");
      if (id.empty() || trim_whitespace(str(p, "caption")) != trim_whitespace(part.text)) continue;
      if (str(p, "media_type") != listed_type(part)) continue;
      if (part.media.size() > 1 && list(at(p, "children"), "data").size() != part.media.size()) continue;
      Timestamp t = meta::parse_graph_time(str(p, "timestamp"));
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
    return PublishedPart{str(*found, "id"), str(*found, "permalink")};
  }

  RemoteItem comment_item(const json& c, const char* kind, const std::string& media_id, const std::string& parent,
                          const std::string& url) const {
    RemoteItem item;
    item.kind = kind;
    item.remote_id = str(c, "id");
    item.thread_id = media_id;
    item.parent_remote_id = parent;
    item.author = str(c, "username").empty() ? str(at(c, "from"), "username") : str(c, "username");
    item.author_name = item.author.empty() ? "" : "@" + item.author;
    item.text = str(c, "text");
    item.url = url;
    item.created_at = meta::parse_graph_time(str(c, "timestamp"));
    return item;
  }

  const Clock& m_clock;
  const Config& m_config;
  MediaStores* m_media;
  Pacer m_own_pacer;
  RestClient m_rest;
  meta::Graph m_graph;
};

}  // namespace

std::unique_ptr<Provider> make_instagram_provider(ProviderEnv& env) {
  return std::make_unique<InstagramProvider>(env);
}

}  // namespace crier
