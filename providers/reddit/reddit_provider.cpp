#include "providers/reddit/reddit_provider.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/config.hpp"
#include "error.hpp"
#include "http/pacer.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "paths.hpp"
#include "provider/json_read.hpp"
#include "redact.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

using json_read::at;
using json_read::count;
using json_read::list;
using json_read::str;
using nlohmann::json;

constexpr const char* k_auth_server = "https://www.reddit.com";
constexpr const char* k_api_server = "https://oauth.reddit.com";
constexpr size_t k_title_max = 300;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "u/name", "/u/name" and "name" are the same account.
std::string bare_user(std::string h) {
  while (!h.empty() && h.front() == '/') h.erase(0, 1);
  if (h.rfind("u/", 0) == 0 || h.rfind("U/", 0) == 0) h.erase(0, 2);
  return h;
}

// "r/pics", "/r/pics" and "pics" name the same subreddit.
std::string bare_subreddit(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(0, 1);
  if (s.rfind("r/", 0) == 0 || s.rfind("R/", 0) == 0) s.erase(0, 2);
  return s;
}

bool valid_subreddit(const std::string& s) {
  return s.size() >= 2 && s.size() <= 21 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

Timestamp from_utc(const json& j, std::string_view key) {
  const json& v = at(j, key);
  if (!v.is_number()) return Timestamp{};
  double d = v.get<double>();
  if (!(d > 0 && d < 1e11)) return Timestamp{};
  return from_unix(static_cast<long long>(d));
}

// A link post when the text is one URL and nothing else.
bool is_link(const std::string& text) {
  std::string t = trim_whitespace(text);
  return (t.rfind("https://", 0) == 0 || t.rfind("http://", 0) == 0) &&
         std::none_of(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); });
}

// "you are doing that too much. try again in 5 minutes." -> 300 s.
std::chrono::seconds wait_in(const std::string& message, const json& answer) {
  const json& r = at(at(answer, "json"), "ratelimit");
  if (r.is_number() && r.get<double>() > 0 && r.get<double>() < 86400)
    return std::chrono::seconds{static_cast<long long>(std::ceil(r.get<double>()))};
  auto at_ = message.find("in ");
  if (at_ != std::string::npos) {
    long long n = std::atoll(message.c_str() + at_ + 3);
    if (n > 0 && n < 1440)
      return std::chrono::seconds{message.find("minute", at_) != std::string::npos ? n * 60 : n};
  }
  return std::chrono::seconds{60};
}

// The post a comment belongs to: inbox items carry no link_id, but their context does
// ("/r/sub/comments/POST/title/COMMENT/?context=3").
std::string post_of(const std::string& context, const std::string& parent) {
  auto at_ = context.find("/comments/");
  if (at_ == std::string::npos) return parent;
  std::string id = context.substr(at_ + 10);
  id = id.substr(0, id.find('/'));
  return id.empty() ? parent : "t3_" + id;
}

class RedditProvider final : public Provider {
 public:
  explicit RedditProvider(ProviderEnv& env)
      : m_clock(env.clock),
        m_config(env.config),
        m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock) {}

  std::string_view name() const override { return "reddit"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.title = c.title_required = true;
    c.inbox_replies = c.inbox_mentions = c.inbox_dms = true;
    c.reply = c.send_dm = true;
    c.post_metrics = c.account_metrics = true;
    c.images = true;  // one per post, through Reddit's media lease
    return c;         // no threads; no idempotency key
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.unit = "characters";
    r.max_length = 40'000;
    r.count = [](std::string_view t) { return count_codepoints(t); };
    r.max_images = 1;  // an image post holds one (galleries are another kind of post)
    r.max_image_bytes = 20 * 1024 * 1024;
    r.image_types = {"image/jpeg", "image/png", "image/gif"};
    r.text_required = false;  // a title alone is a post
    r.notes = "markdown is kept as typed; the title (--title, at most 300 characters) is separate";
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    std::string server = q.server;
    while (!server.empty() && server.back() == '/') server.pop_back();
    std::string client_id = m_config.get("reddit.client_id");
    if (q.secret.empty() && !client_id.empty() && q.sign_in) return sign_in(server, client_id, *q.sign_in);
    if (q.secret.empty())
      throw Error(
          ErrorKind::usage,
          client_id.empty() ? "Reddit needs an app: set reddit.client_id to sign in with the browser, or "
                              "give a script app's credentials on stdin"
                            : "no one here to sign in with the browser",
          R"(an "installed app" at https://www.reddit.com/prefs/apps with redirect URI http://127.0.0.1:65010/callback, then: crier config set reddit.client_id ID; crier accounts add reddit. Or a "script" app: printf '{"client_id":"ID","client_secret":"SECRET","password":"PASSWORD"}' | crier accounts add reddit --handle NAME --secret-stdin)");
    json given = json::parse(q.secret, nullptr, false);
    if (!given.is_object() || str(given, "client_id").empty() || str(given, "password").empty())
      throw Error(ErrorKind::usage,
                  "the secret for Reddit is JSON: {\"client_id\", \"client_secret\", \"password\"}",
                  "the client id and secret are on https://www.reddit.com/prefs/apps, under your script app");
    std::string user = bare_user(q.handle);
    if (user.empty())
      throw Error(ErrorKind::usage, "Reddit needs your username", "crier accounts add reddit --handle NAME");
    json secret = {{"client_id", str(given, "client_id")},
                   {"client_secret", str(given, "client_secret")},
                   {"username", user},
                   {"password", str(given, "password")},
                   {"auth_server", server.empty() ? k_auth_server : server}};
    remember_secrets_in(secret.dump());
    Session s;
    s.account.handle = user;
    s.account.server = server.empty() ? k_api_server : server;
    s.secret = secret.dump();
    new_token(s);
    return connected(s);
  }

  // The installed app's sign-in: the user allows crier in the browser, the code comes back to
  // the redirect URI registered with the app (a fixed loopback port), and is exchanged for a
  // refresh token. No password is kept.
  Connected sign_in(const std::string& server, const std::string& client_id, BrowserSignIn& b) {
    std::string auth_server = server.empty() ? k_auth_server : server;
    b.use_port(static_cast<int>(m_config.get_int("reddit.redirect_port")));
    std::string redirect = b.redirect_uri();
    if (redirect.rfind("http://127.0.0.1:", 0) != 0)
      throw Error(
          ErrorKind::usage, "Reddit takes only the redirect URI registered with the app",
          "drop --paste-code: crier listens on it, and you can still paste the address the browser ends on");
    std::string url = auth_server + "/api/v1/authorize?" +
                      form_encode({{"client_id", client_id},
                                   {"response_type", "code"},
                                   {"state", b.state()},
                                   {"redirect_uri", redirect},
                                   {"duration", "permanent"},
                                   {"scope", "identity submit read privatemessages history flair"}});
    std::string code = b.code_for(url);
    Session s;
    s.account.server = server.empty() ? k_api_server : server;
    json sec = {{"client_id", client_id}, {"client_secret", ""}, {"auth_server", auth_server}};
    json t =
        token_request(s.account.handle, sec,
                      {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}});
    if (str(t, "refresh_token").empty())
      throw Error(ErrorKind::auth, "reddit gave no refresh token",
                  "sign in again: crier accounts add reddit");
    sec["refresh_token"] = str(t, "refresh_token");
    store_token(s, sec, t);
    return connected(s);
  }

  Connected connected(Session& s) {
    json me = get(s, "/api/v1/me", "reddit me");
    std::string name = str(me, "name");
    if (name.empty()) throw Error(ErrorKind::permanent, "reddit me: the answer is not an account");
    Connected c;
    c.handle = name;
    c.server = s.account.server;
    c.display_name = "u/" + name;
    c.secret = s.secret;
    c.settings = json{{"user_id", str(me, "id")}}.dump();
    return c;
  }

  void verify(Session& s) override { get(s, "/api/v1/me", "reddit me"); }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    if (q.parts.size() > 1)
      throw Error(ErrorKind::unsupported, "reddit has no threads",
                  "a Reddit post can hold 40,000 characters: post it whole");
    std::string sr = bare_subreddit(option(q, "subreddit"));
    if (!valid_subreddit(sr))
      throw Error(ErrorKind::invalid_input, "'" + sr + "' is not a subreddit's name",
                  "--opt subreddit=NAME, e.g. test");
    if (q.title.empty()) throw Error(ErrorKind::invalid_input, "a Reddit post needs a title", "--title TEXT");
    if (count_codepoints(q.title) > k_title_max)
      throw Error(ErrorKind::invalid_input, "the title has " + std::to_string(count_codepoints(q.title)) +
                                                " characters; Reddit takes at most 300");
    const std::vector<MediaItem> none;
    const auto& media = q.parts.empty() ? none : q.parts[0].media;
    if (media.size() > 1)
      throw Error(ErrorKind::invalid_input,
                  "a Reddit image post holds one image, not " + std::to_string(media.size()));
    std::string text = q.parts.empty() ? "" : q.parts[0].text;
    FormFields form{{"api_type", "json"},    {"sr", sr},       {"title", q.title}, {"resubmit", "true"},
                    {"sendreplies", "true"}, {"raw_json", "1"}};
    if (!media.empty()) {
      form.emplace_back("kind", "image");
      form.emplace_back("url", upload(s, media[0]));
      if (!text.empty()) form.emplace_back("text", text);
    } else if (is_link(text)) {
      form.emplace_back("kind", "link");
      form.emplace_back("url", text);
    } else {
      form.emplace_back("kind", "self");
      form.emplace_back("text", text);
    }
    if (option(q, "nsfw") == "true") form.emplace_back("nsfw", "true");
    if (option(q, "spoiler") == "true") form.emplace_back("spoiler", "true");
    choose_flair(s, sr, option(q, "flair"), form);
    json answer = post_form(s, "/api/submit", form, "reddit submit");
    check_errors(answer, "reddit submit");
    const json& data = at(at(answer, "json"), "data");
    std::string id = str(data, "name");
    if (id.empty()) id = str(data, "id").empty() ? "" : "t3_" + str(data, "id");
    if (id.empty() && !media.empty()) {
      // An image post is made once Reddit has processed the image, and the answer names none
      // (it would come over a websocket): look for it as reconcile does.
      for (int tries = 0; tries < 3; ++tries) {
        if (auto found = reconcile(s, q)) return *found;
        std::this_thread::sleep_for(std::chrono::seconds{1});
      }
      throw Error(ErrorKind::transient, "reddit is still processing the image post",
                  "crier will look for it before sending it again");
    }
    if (id.empty())
      throw Error(ErrorKind::transient, "reddit submit: the answer names no post",
                  "crier will look for it before posting again");
    return PublishResult{{{id, str(data, "url")}}};
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    // No idempotency key on Reddit: only a submission of this account to the same subreddit
    // with the same title, made since the attempt began (or, when none is, in the margin before
    // it for the clocks) and not another delivery's is this delivery's. Oldest first.
    std::string sr = lower(bare_subreddit(option(q, "subreddit")));
    json listing =
        get(s, "/user/" + url_encode(s.account.handle) + "/submitted?sort=new&limit=100&raw_json=1",
            "reddit submitted");
    const json* found = nullptr;
    const json* in_margin = nullptr;
    const json& children = list(at(listing, "data"), "children");
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      const json& d = at(*it, "data");
      std::string id = str(d, "name");
      if (id.empty() || lower(str(d, "subreddit")) != sr || str(d, "title") != q.title) continue;
      if (lower(str(d, "author")) != lower(s.account.handle)) continue;
      Timestamp created = from_utc(d, "created_utc");
      if (created < q.not_before) continue;
      if (q.taken && q.taken(id)) continue;
      if (created >= q.attempt_started) {
        found = &d;
        break;
      }
      if (in_margin == nullptr) in_margin = &d;
    }
    if (found == nullptr) found = in_margin;
    if (found == nullptr) return std::nullopt;
    return PublishResult{{{str(*found, "name"), permalink(*found)}}};
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    // One inbox, read per stream; the cursor is the newest item seen (Reddit lists newest
    // first, and `before` asks for what is newer).
    std::string path = "/message/inbox?limit=100&raw_json=1";
    if (!cursor.empty()) path += "&before=" + url_encode(cursor);
    json listing = get(s, path, "reddit inbox");
    const json& children = list(at(listing, "data"), "children");
    InboxPage page;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      const json& d = at(*it, "data");
      std::string kind = str(*it, "kind");
      std::string type = str(d, "type");
      std::string name = str(d, "name");
      if (name.empty()) continue;
      page.next_cursor = name;
      bool dm = kind == "t4";
      bool mention = kind == "t1" && type == "username_mention";
      bool reply = kind == "t1" && (type == "comment_reply" || type == "post_reply");
      if ((stream == InboxStream::dms && !dm) || (stream == InboxStream::mentions && !mention) ||
          (stream == InboxStream::replies && !reply))
        continue;
      if (lower(str(d, "author")) == lower(s.account.handle)) continue;
      RemoteItem item;
      item.kind = dm ? "dm" : mention ? "mention" : "reply";
      item.remote_id = name;
      item.thread_id = dm ? (str(d, "first_message_name").empty() ? name : str(d, "first_message_name"))
                          : post_of(str(d, "context"), str(d, "parent_id"));
      item.parent_remote_id = str(d, "parent_id");
      item.author = str(d, "author");
      item.author_name = "u/" + item.author;
      item.text = str(d, "body");
      std::string context = str(d, "context");
      item.url = context.empty() ? "https://www.reddit.com/message/messages/" + str(d, "id")
                                 : "https://www.reddit.com" + context;
      item.created_at = from_utc(d, "created_utc");
      item.meta = json{{"subreddit", str(d, "subreddit")}, {"subject", str(d, "subject")}}.dump();
      page.items.push_back(std::move(item));
    }
    page.more = children.size() >= 100;
    return page;
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text,
                      const std::string&) override {
    // Reddit keeps no key for a comment either: the answer is sent once per call.
    json answer =
        post_form(s, "/api/comment",
                  {{"api_type", "json"}, {"thing_id", to.remote_id}, {"text", text}, {"raw_json", "1"}},
                  "reddit comment");
    check_errors(answer, "reddit comment");
    const json& things = list(at(at(answer, "json"), "data"), "things");
    if (things.empty() || str(at(things[0], "data"), "name").empty())
      throw Error(ErrorKind::transient, "reddit comment: the answer names no comment");
    const json& d = at(things[0], "data");
    std::string link = str(d, "permalink");
    return {str(d, "name"), link.empty() ? to.url : "https://www.reddit.com" + link};
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    std::vector<PostStats> out;
    for (size_t i = 0; i < ids.size(); i += 100) {
      std::string joined;
      for (size_t j = i; j < std::min(ids.size(), i + 100); ++j)
        joined += (joined.empty() ? "" : ",") + ids[j];
      json listing = get(s, "/api/info?id=" + url_encode(joined) + "&raw_json=1", "reddit info");
      for (const auto& child : list(at(listing, "data"), "children")) {
        const json& d = at(child, "data");
        PostStats st;
        st.remote_id = str(d, "name");
        if (st.remote_id.empty()) continue;
        st.likes = count(d, "score");  // upvotes less downvotes; Reddit shows no more
        st.replies = count(d, "num_comments");
        st.reposts = count(d, "num_crossposts");
        const json& ratio = at(d, "upvote_ratio");
        if (ratio.is_number() && ratio.get<double>() >= 0 && ratio.get<double>() <= 1)
          st.upvote_ratio = ratio.get<double>();
        out.push_back(st);
      }
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    json me = get(s, "/api/v1/me", "reddit me");
    AccountStats a;
    a.followers = count(at(me, "subreddit"), "subscribers");
    // Karma: total_karma where Reddit sends it (since 2021), else links' and comments'.
    a.score = at(me, "total_karma").is_number() ? count(me, "total_karma")
                                                : count(me, "link_karma") + count(me, "comment_karma");
    return a;
  }

 private:
  static std::string option(const PublishRequest& q, const std::string& name) {
    auto it = q.options.find(name);
    return it == q.options.end() ? "" : it->second;
  }

  static std::string permalink(const json& d) {
    std::string p = str(d, "permalink");
    return p.empty() ? str(d, "url") : "https://www.reddit.com" + p;
  }

  // Reddit wants a User-Agent of its own form from every client.
  static std::string user_agent(const std::string& user) {
    return std::string("cli:crier:") + CRIER_VERSION + " (by /u/" + user + ")";
  }

  Headers headers(const Session& s) const {
    json sec = json::parse(s.secret, nullptr, false);
    return {{"Authorization", "bearer " + str(sec, "access_token")},
            {"User-Agent", user_agent(s.account.handle.empty() ? "crier" : s.account.handle)}};
  }

  // A new token: with the refresh token (installed app), else the password grant (script apps
  // get no refresh token: they ask again).
  void new_token(Session& s) {
    json sec = json::parse(s.secret, nullptr, false);
    FormFields grant =
        str(sec, "refresh_token").empty()
            ? FormFields{{"grant_type", "password"},
                         {"username", str(sec, "username")},
                         {"password", str(sec, "password")}}
            : FormFields{{"grant_type", "refresh_token"}, {"refresh_token", str(sec, "refresh_token")}};
    store_token(s, sec, token_request(s.account.handle, sec, grant));
  }

  json token_request(const std::string& user, const json& sec, const FormFields& grant) {
    std::string basic = base64_encode(str(sec, "client_id") + ":" + str(sec, "client_secret"));
    remember_secret(basic);
    HttpRequest q{"POST",
                  str(sec, "auth_server") + "/api/v1/access_token",
                  {{"Authorization", "Basic " + basic},
                   {"User-Agent", user_agent(user.empty() ? "crier" : user)},
                   {"Content-Type", "application/x-www-form-urlencoded"}},
                  form_encode(grant)};
    HttpResponse r = m_rest.send_any(q, "reddit sign-in");
    json t = json::parse(r.body, nullptr, false);
    if (r.status == 401 || r.status == 403 || r.status == 400 ||
        (r.status == 200 && !str(t, "error").empty())) {
      std::string why = str(t, "error").empty() ? std::to_string(r.status) : str(t, "error");
      throw Error(ErrorKind::auth, "reddit refused the sign-in (" + why + ")",
                  "check the app's client id (and a script app's secret and your password: an account with "
                  "two-factor sign-in cannot use a script app); then: crier accounts add reddit")
          .with_code(str(t, "error"));
    }
    if (r.status < 200 || r.status >= 300) throw_for_status(r, "reddit sign-in", m_clock.now());
    if (str(t, "access_token").empty())
      throw Error(ErrorKind::transient, "reddit sign-in: the answer holds no token");
    return t;
  }

  void store_token(Session& s, json sec, const json& t) {
    std::string token = str(t, "access_token");
    remember_secret(token);
    if (!str(t, "refresh_token").empty()) {  // Reddit may hand out a new one with each refresh
      sec["refresh_token"] = str(t, "refresh_token");
      remember_secret(str(t, "refresh_token"));
    }
    long long expires = std::clamp<long long>(count(t, "expires_in"), 60, 86400);
    sec["access_token"] = token;
    sec["expires_at"] = to_unix(m_clock.now()) + expires;
    s.secret = sec.dump();
    s.save_secret(s.secret);
  }

  // A token good for another minute at least.
  void fresh_token(Session& s) {
    remember_secrets_in(s.secret);
    json sec = json::parse(s.secret, nullptr, false);
    const json& exp = at(sec, "expires_at");
    if (str(sec, "access_token").empty() || !exp.is_number() ||
        exp.get<long long>() - 60 < to_unix(m_clock.now()))
      new_token(s);
  }

  HttpResponse call(Session& s, HttpRequest q, std::string_view what) {
    fresh_token(s);
    auto with_auth = [&] {
      HttpRequest r = q;
      for (auto& h : headers(s)) r.headers.push_back(h);
      return r;
    };
    HttpResponse r = m_rest.send_any(with_auth(), what);
    if (r.status == 401) {  // revoked early: one new token, once
      new_token(s);
      r = m_rest.send_any(with_auth(), what);
    }
    if (r.status < 200 || r.status >= 300) throw_for_status(r, what, m_clock.now());
    return r;
  }

  json get(Session& s, const std::string& path, std::string_view what) {
    return RestClient::json_of(call(s, HttpRequest{"GET", s.account.server + path, {}, ""}, what), what);
  }

  json post_form(Session& s, const std::string& path, const FormFields& form, std::string_view what) {
    return RestClient::json_of(call(s,
                                    HttpRequest{"POST",
                                                s.account.server + path,
                                                {{"Content-Type", "application/x-www-form-urlencoded"}},
                                                form_encode(form)},
                                    what),
                               what);
  }

  // Reddit's media lease: ask for an upload form, post the file to its storage with every field
  // it gave (verbatim, in order), and submit the address the storage answers with.
  std::string upload(Session& s, const MediaItem& m) {
    std::string file_name = m.path.substr(m.path.find_last_of('/') + 1);
    json lease = post_form(s, "/api/media/asset.json",
                           {{"api_type", "json"}, {"filepath", file_name}, {"mimetype", m.mime}},
                           "reddit media lease");
    const json& args = at(lease, "args");
    std::string action = str(args, "action");
    if (action.empty())
      throw Error(ErrorKind::transient, "reddit media lease: the answer has no upload address");
    if (action.rfind("//", 0) == 0)  // scheme-relative: the API's own scheme
      action = s.account.server.substr(0, s.account.server.find("//")) + action;
    if (action.rfind("https://", 0) != 0 && action.rfind("http://", 0) != 0)
      throw Error(ErrorKind::transient, "reddit media lease: the upload address is not a web address");
    FormFields fields;
    std::string key;
    for (const auto& f : list(args, "fields")) {
      fields.emplace_back(str(f, "name"), str(f, "value"));
      if (str(f, "name") == "key") key = str(f, "value");
    }
    MultipartBody body = multipart_form(fields, "file", file_name, m.mime, read_file(m.path));
    HttpRequest q{"POST",
                  action,
                  {{"Content-Type", body.content_type}, {"User-Agent", user_agent(s.account.handle)}},
                  body.body};
    HttpResponse r = m_rest.send(q, "reddit image upload");
    // <PostResponse><Location>https://.../KEY</Location>...; a key with a slash comes encoded.
    std::string location;
    auto a = r.body.find("<Location>"), b = r.body.find("</Location>");
    if (a != std::string::npos && b != std::string::npos && b > a)
      location = r.body.substr(a + 10, b - a - 10);
    if (location.empty() && r.header("Location")) location = *r.header("Location");
    if (location.empty() && !key.empty()) location = action + "/" + key;
    if (location.empty())
      throw Error(ErrorKind::transient, "reddit image upload: the storage named no address");
    for (size_t p;
         (p = location.find("%2F")) != std::string::npos || (p = location.find("%2f")) != std::string::npos;)
      location.replace(p, 3, "/");
    return location;
  }

  // {"json": {"errors": [["SUBREDDIT_NOEXIST", "that subreddit doesn't exist", "sr"]]}}
  static void check_errors(const json& answer, std::string_view what) {
    const json& errors = list(at(answer, "json"), "errors");
    if (errors.empty()) return;
    const json& e = errors[0];
    std::string code = e.is_array() && !e.empty() && e[0].is_string() ? e[0].get<std::string>() : "UNKNOWN";
    std::string message = e.is_array() && e.size() > 1 && e[1].is_string() ? e[1].get<std::string>() : code;
    if (code == "RATELIMIT")
      throw Error(ErrorKind::rate_limited, std::string(what) + ": " + message)
          .with_code(code)
          .with_retry_after(wait_in(message, answer));
    throw Error(ErrorKind::permanent, std::string(what) + ": " + message + " (" + code + ")").with_code(code);
  }

  // The flair the user named (by its text or id), or, when the subreddit requires one and none
  // was named, an error listing them - before anything is submitted.
  void choose_flair(Session& s, const std::string& sr, const std::string& wanted, FormFields& form) {
    bool required = false;
    try {
      json req = get(s, "/api/v1/" + url_encode(sr) + "/post_requirements", "reddit post requirements");
      required = at(req, "is_flair_required").is_boolean() && at(req, "is_flair_required").get<bool>();
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::rate_limited) throw;
      if (e.kind() == ErrorKind::not_found)
        throw Error(ErrorKind::invalid_input, "there is no subreddit r/" + sr, "check --opt subreddit=NAME");
    }
    if (wanted.empty() && !required) return;
    json flairs = get(s, "/r/" + url_encode(sr) + "/api/link_flair_v2?raw_json=1", "reddit flairs");
    std::string names;
    for (const auto& f : json_read::as_list(flairs)) {
      std::string text = str(f, "text"), id = str(f, "id");
      names += (names.empty() ? "" : ", ") + text;
      if (!wanted.empty() && (lower(text) == lower(wanted) || id == wanted)) {
        form.emplace_back("flair_id", id);
        form.emplace_back("flair_text", text);
        return;
      }
    }
    if (wanted.empty())
      throw Error(ErrorKind::invalid_input, "r/" + sr + " requires a flair",
                  "add --opt flair=NAME, one of: " + (names.empty() ? std::string("(none offered)") : names));
    throw Error(ErrorKind::invalid_input, "r/" + sr + " has no flair '" + wanted + "'",
                "one of: " + (names.empty() ? std::string("(none offered)") : names));
  }

  const Clock& m_clock;
  const Config& m_config;
  Pacer m_own_pacer;  // used when the process shares none (X-Ratelimit-*: pace, defer, never hammer)
  RestClient m_rest;
};

}  // namespace

std::unique_ptr<Provider> make_reddit_provider(ProviderEnv& env) {
  return std::make_unique<RedditProvider>(env);
}

}  // namespace crier
