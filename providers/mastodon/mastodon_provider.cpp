#include "providers/mastodon/mastodon_provider.hpp"
#include "providers/mastodon/mastodon_text.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "http/pacer.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "paths.hpp"
#include "provider/json_read.hpp"
#include "text/html_text.hpp"

namespace crier {
namespace {

using nlohmann::json;

constexpr int k_page = 40;

std::string normalize_server(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.find("://") == std::string::npos) s = "https://" + s;
  return s;
}

std::string host_of(const std::string& server) {
  auto p = server.find("://");
  std::string h = p == std::string::npos ? server : server.substr(p + 3);
  return h.substr(0, h.find('/'));
}

// Snowflake ids are decimal strings: compare by length, then text.
bool id_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

using json_read::at;
using json_read::count;
using json_read::str;

Timestamp parse_time(const json& j) {
  if (!j.is_string()) return Timestamp{};
  return parse_iso8601(j.get<std::string>()).value_or(Timestamp{});
}

json parse_json(const HttpResponse& r, std::string_view what) { return RestClient::json_of(r, what); }

class MastodonProvider final : public Provider {
 public:
  explicit MastodonProvider(ProviderEnv& env)
      : m_clock(env.clock), m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock) {}

  std::string_view name() const override { return "mastodon"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = c.threads = true;
    c.inbox_mentions = c.inbox_dms = true;  // replies to us arrive as mention notifications
    c.reply = c.send_dm = true;
    c.post_metrics = c.account_metrics = true;
    c.native_idempotency = true;  // Idempotency-Key, kept by the server for about an hour
    return c;
  }

  TextRules text_rules(const Account& account) const override {
    TextRules r;
    r.unit = "characters";
    r.max_length = 500;
    size_t url_length = 23;
    r.max_images = 4;
    r.max_image_bytes = 16 * 1024 * 1024;
    auto s = json::parse(account.settings, nullptr, false);
    if (s.is_object() && s.contains("limits")) {
      const json& l = at(s, "limits");
      auto positive = [&](const char* key, auto fallback) {
        int64_t n = count(l, key);
        return n > 0 ? static_cast<decltype(fallback)>(n) : fallback;
      };
      r.max_length = positive("max_characters", r.max_length);
      url_length = positive("characters_reserved_per_url", url_length);
      r.max_images = positive("max_media_attachments", r.max_images);
      r.max_image_bytes = positive("image_size_limit", r.max_image_bytes);
      std::vector<std::string> types;
      for (const auto& t : json_read::list(l, "image_types"))
        if (t.is_string()) types.push_back(t);
      if (!types.empty()) r.image_types = types;
    }
    r.count = [url_length](std::string_view t) { return mastodon::count_text(t, url_length); };
    r.notes = "every link counts as " + std::to_string(url_length) + " characters";
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    if (q.server.empty())
      throw Error(ErrorKind::usage, "Mastodon needs the instance", "e.g. crier accounts add mastodon --server fosstodon.org");
    std::string server = normalize_server(q.server);
    json secret;
    if (!q.secret.empty()) {
      secret = {{"access_token", q.secret}};
    } else if (q.sign_in) {
      secret = authorize(server, *q.sign_in);
    } else {
      throw Error(ErrorKind::usage, "no access token given (--secret-stdin) and no terminal to sign in on",
                  "create one in your instance's settings (Development > New application, scopes read write) and "
                  "pipe it in: crier accounts add mastodon --server " + host_of(server) + " --secret-stdin");
    }
    std::string token = str(secret, "access_token");
    json me = get_json(server, token, "/api/v1/accounts/verify_credentials", "mastodon verify_credentials");
    if (str(me, "id").empty() || str(me, "username").empty())
      throw Error(ErrorKind::permanent, "mastodon verify_credentials: the answer is not an account",
                  "check the server address: is it a Mastodon instance?");
    json settings = {{"account_id", str(me, "id")}, {"visibility", "public"}, {"limits", read_limits(server, token)}};
    Connected c;
    c.handle = "@" + str(me, "username") + "@" + host_of(server);
    c.server = server;
    c.display_name = str(me, "display_name");
    c.secret = secret.dump();
    c.settings = settings.dump();
    return c;
  }

  std::string secret_from_token(const std::string& token) const override {
    return json{{"access_token", token}}.dump();
  }

  void verify(Session& s) override {
    get_json(s.account.server, token(s), "/api/v1/accounts/verify_credentials", "mastodon verify_credentials");
  }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    PublishResult result;
    result.parts = q.already;  // a thread cut short continues after what is there
    std::string parent = q.already.empty() ? "" : q.already.back().remote_id;
    for (size_t i = q.already.size(); i < q.parts.size(); ++i) {
      std::string visibility = q.visibility.empty() ? setting(s, "visibility", "public") : q.visibility;
      FormFields form{{"status", q.parts[i].text}, {"visibility", visibility}};
      if (!q.content_warning.empty()) form.emplace_back("spoiler_text", q.content_warning);
      if (!q.lang.empty()) form.emplace_back("language", q.lang);
      for (const auto& m : q.parts[i].media) form.emplace_back("media_ids[]", upload(s, m));
      if (!parent.empty()) form.emplace_back("in_reply_to_id", parent);
      std::string key = i == 0 ? q.idempotency_key : q.idempotency_key + "#" + std::to_string(i);
      json status = post_status(s, form, key);
      parent = str(status, "id");
      result.parts.push_back({parent, str(status, "url")});
    }
    return result;
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    // Mastodon cannot be asked what an Idempotency-Key made. So look at the account's latest
    // statuses for what this delivery can have made, and nothing else: created since its first
    // attempt began, the same text, spoiler and number of images, answering the part before it
    // (the first part: nothing), and not another delivery's. Of several, the oldest made since
    // the attempt began, and only when there is none, one from the margin before it (the
    // server's clock may be behind ours). Nothing found: publishing again is safe for about an
    // hour, as the server still honours the key.
    std::string path = "/api/v1/accounts/" + setting(s, "account_id", "") + "/statuses?limit=40";
    json statuses = get_json(s.account.server, token(s), path, "mastodon account statuses");
    if (!statuses.is_array())
      throw Error(ErrorKind::transient, "mastodon account statuses: the answer is not a list of statuses");
    PublishResult result;
    std::string parent;
    for (const auto& part : q.parts) {
      const json* found = nullptr;
      const json* in_margin = nullptr;
      for (auto it = statuses.rbegin(); it != statuses.rend() && found == nullptr; ++it) {
        if (!could_be(*it, part, parent, q)) continue;
        auto created = parse_iso8601(str(*it, "created_at"));
        if (created && *created >= q.attempt_started) found = &*it;
        else if (in_margin == nullptr) in_margin = &*it;
      }
      if (found == nullptr) found = in_margin;
      if (found == nullptr) break;
      parent = str(*found, "id");
      result.parts.push_back({parent, str(*found, "url")});
    }
    if (result.parts.empty()) return std::nullopt;
    return result;
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    if (stream == InboxStream::replies)
      throw Error(ErrorKind::unsupported, "mastodon delivers replies as mentions: poll --kind mentions");
    bool dms = stream == InboxStream::dms;
    std::string path = dms ? "/api/v1/conversations?limit=" + std::to_string(k_page)
                           : "/api/v1/notifications?types%5B%5D=mention&limit=" + std::to_string(k_page);
    if (!cursor.empty()) path += "&min_id=" + url_encode(cursor);
    HttpResponse r = call(HttpRequest{"GET", s.account.server + path, auth(token(s)), ""},
                          dms ? "mastodon conversations" : "mastodon notifications");
    json answer = parse_json(r, "mastodon inbox");
    if (!answer.is_array()) throw Error(ErrorKind::transient, "mastodon inbox: the answer is not a list");
    const json& list = answer;
    InboxPage page;
    std::string own_id = setting(s, "account_id", "");
    std::string newest = cursor;
    for (const auto& entry : list) {
      const json& st = at(entry, dms ? "last_status" : "status");
      std::string page_id = dms ? str(st, "id") : str(entry, "id");
      // Ids are decimal; anything else cannot be a cursor.
      bool decimal = !page_id.empty() && page_id.size() < 30 &&
                     page_id.find_first_not_of("0123456789") == std::string::npos;
      if (decimal && (newest.empty() || id_less(newest, page_id))) newest = page_id;
      if (!st.is_object() || str(st, "id").empty() || str(at(st, "account"), "acct").empty() ||
          str(at(st, "account"), "id") == own_id)
        continue;
      RemoteItem item;
      item.kind = dms ? "dm" : (str(st, "in_reply_to_account_id") == own_id ? "reply" : "mention");
      item.remote_id = str(st, "id");
      item.parent_remote_id = str(st, "in_reply_to_id");
      item.thread_id = dms ? str(entry, "id") : (item.parent_remote_id.empty() ? item.remote_id : item.parent_remote_id);
      item.author = "@" + str(at(st, "account"), "acct");
      item.author_name = str(at(st, "account"), "display_name");
      item.text = html_to_text(str(st, "content"));
      item.url = str(st, "url");
      item.created_at = parse_time(at(st, "created_at"));
      item.meta = json{{"visibility", str(st, "visibility")}, {"acct", str(at(st, "account"), "acct")}}.dump();
      page.items.push_back(std::move(item));
    }
    std::sort(page.items.begin(), page.items.end(),
              [](const RemoteItem& a, const RemoteItem& b) { return id_less(a.remote_id, b.remote_id); });
    page.next_cursor = newest;
    // The first poll takes the newest page only (no backfill); later polls page forward.
    page.more = !cursor.empty() && static_cast<int>(list.size()) == k_page;
    return page;
  }

  // Mastodon notifies only the accounts mentioned in the text: start with theirs, as clients do.
  std::string reply_text(const RemoteItem& to, const std::string& text) const override {
    auto meta = json::parse(to.meta, nullptr, false);
    std::string acct = str(meta, "acct");
    if (acct.empty() && to.author.size() > 1) acct = to.author.substr(1);
    if (!acct.empty() && text.rfind("@" + acct, 0) != 0) return "@" + acct + " " + text;
    return text;
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text,
                      const std::string& key) override {
    auto meta = json::parse(to.meta, nullptr, false);
    std::string visibility = to.kind == "dm" ? "direct" : str(meta, "visibility");
    if (visibility.empty()) visibility = "public";
    std::string body = reply_text(to, text);
    FormFields form{{"status", body}, {"in_reply_to_id", to.remote_id}, {"visibility", visibility}};
    json st = post_status(s, form, key);
    return {str(st, "id"), str(st, "url")};
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    std::vector<PostStats> out;
    for (const auto& id : ids) {
      json st;
      try {
        st = get_json(s.account.server, token(s), "/api/v1/statuses/" + url_encode(id), "mastodon status");
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) continue;  // deleted on the network: no counts, not an error
        throw;
      }
      PostStats p;
      p.remote_id = id;
      if (str(st, "id") != id) continue;  // not the status asked for: no counts rather than wrong ones
      p.likes = count(st, "favourites_count");
      p.reposts = count(st, "reblogs_count");
      p.replies = count(st, "replies_count");
      p.quotes = count(st, "quotes_count");
      out.push_back(p);
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    json me = get_json(s.account.server, token(s), "/api/v1/accounts/verify_credentials", "mastodon verify_credentials");
    AccountStats a;
    if (str(me, "id").empty()) throw Error(ErrorKind::transient, "mastodon verify_credentials: the answer is not an account");
    a.followers = count(me, "followers_count");
    a.following = count(me, "following_count");
    a.posts = count(me, "statuses_count");
    return a;
  }

 private:
  // Whether `st` can be this part of the request, made by this delivery.
  static bool could_be(const json& st, const OutgoingPart& part, const std::string& parent, const PublishRequest& q) {
    if (!st.is_object() || str(st, "id").empty() || !at(st, "reblog").is_null()) return false;
    auto created = parse_iso8601(str(st, "created_at"));
    if (!created || *created < q.not_before) return false;
    if (str(st, "in_reply_to_id") != parent) return false;
    if (json_read::list(st, "media_attachments").size() != part.media.size()) return false;
    if (str(st, "spoiler_text") != q.content_warning) return false;
    if (comparable_text(html_to_text(str(st, "content"))) != comparable_text(part.text)) return false;
    return !q.taken || !q.taken(str(st, "id"));
  }

  // Text as Mastodon shows it back: whitespace runs as one space, and a mention of another
  // server's account rendered as @user.
  static std::string comparable_text(const std::string& text) {
    std::string out;
    bool space = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
        space = !out.empty();
        continue;
      }
      if (space) out += ' ';
      space = false;
      out += c;
      if (c == '@' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n' || text[i - 1] == '(')) {
        // @user@domain -> @user
        size_t j = i + 1;
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) out += text[j++];
        if (j < text.size() && text[j] == '@') {
          ++j;
          while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '.' || text[j] == '-'))
            ++j;
          while (text[j - 1] == '.') --j;  // a sentence's full stop is not the domain's
        }
        i = j - 1;
      }
    }
    return out;
  }

  static Headers auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  static std::string token(const Session& s) {
    auto j = json::parse(s.secret, nullptr, false);
    if (str(j, "access_token").empty())
      throw Error(ErrorKind::auth, "no Mastodon token stored for '" + s.account.handle + "'",
                  "reconnect: crier accounts add mastodon --server " + host_of(s.account.server));
    return str(j, "access_token");
  }

  static std::string setting(const Session& s, const char* key, const std::string& fallback) {
    auto j = json::parse(s.account.settings, nullptr, false);
    std::string v = str(j, key);
    return v.empty() ? fallback : v;
  }

  // One request with Mastodon's rate-limit headers honoured (X-RateLimit-*): paced when the
  // window runs low, deferred when it is used up, a 429 rate_limited until the reset.
  HttpResponse call(const HttpRequest& q, std::string_view what) { return m_rest.send(q, what); }

  json get_json(const std::string& server, const std::string& tok, const std::string& path, std::string_view what) {
    return parse_json(call(HttpRequest{"GET", server + path, auth(tok), ""}, what), what);
  }

  json post_status(Session& s, const FormFields& form, const std::string& key) {
    Headers h = auth(token(s));
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    h.emplace_back("Idempotency-Key", key);
    HttpResponse r = call(HttpRequest{"POST", s.account.server + "/api/v1/statuses", h, form_encode(form)},
                          "mastodon post status");
    json status = json::parse(r.body, nullptr, false);
    // A 2xx that is not a status with an id may still have made one: unknown, not published.
    if (!status.is_object() || str(status, "id").empty())
      throw Error(ErrorKind::transient,
                  "mastodon post status: the answer (HTTP " + std::to_string(r.status) +
                      ") is not a status with an id; whether it was made is unknown");
    return status;
  }

  std::string upload(Session& s, const MediaItem& m) {
    std::string data = read_file(m.path);
    std::string file_name = m.path.substr(m.path.find_last_of('/') + 1);
    MultipartBody body = multipart_form({{"description", m.alt}}, "file", file_name, m.mime, data);
    Headers h = auth(token(s));
    h.emplace_back("Content-Type", body.content_type);
    HttpResponse r = call(HttpRequest{"POST", s.account.server + "/api/v2/media", h, body.body}, "mastodon media upload");
    json media = parse_json(r, "mastodon media upload");
    std::string id = str(media, "id");
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      throw Error(ErrorKind::transient, "mastodon media upload: the answer has no media id");
    // 202: still processing. Wait (bounded) until the server reports a URL.
    for (int i = 0; r.status == 202 && i < 30; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(i == 0 ? 200 : 1000));
      // Through the pacer like every call (it used to skip it).
      HttpResponse poll = m_rest.send_any(HttpRequest{"GET", s.account.server + "/api/v1/media/" + id, auth(token(s)), ""},
                                          "mastodon media status");
      if (poll.status == 206) continue;
      throw_for_status(poll, "mastodon media status", m_clock.now());
      json j = parse_json(poll, "mastodon media status");
      if (!str(j, "url").empty()) return id;
    }
    if (r.status == 202)
      throw Error(ErrorKind::transient, "mastodon is still processing the image '" + m.path + "'");
    return id;
  }

  json read_limits(const std::string& server, const std::string& tok) {
    json limits = {{"max_characters", 500}, {"characters_reserved_per_url", 23}, {"max_media_attachments", 4}};
    try {
      json inst = get_json(server, tok, "/api/v2/instance", "mastodon instance");
      const json& conf = at(inst, "configuration");
      const json& st = at(conf, "statuses");
      for (const char* k : {"max_characters", "characters_reserved_per_url", "max_media_attachments"})
        if (count(st, k) > 0) limits[k] = count(st, k);
      const json& m = at(conf, "media_attachments");
      if (count(m, "image_size_limit") > 0) limits["image_size_limit"] = count(m, "image_size_limit");
      std::vector<std::string> images;
      for (const auto& t : json_read::list(m, "supported_mime_types"))
        if (t.is_string() && t.get<std::string>().rfind("image/", 0) == 0) images.push_back(t);
      if (!images.empty()) limits["image_types"] = images;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth) throw;
      spdlog::warn("could not read the instance's limits ({}); using Mastodon's defaults", e.what());
    }
    return limits;
  }

  json authorize(const std::string& server, BrowserSignIn& sign_in) {
    // The app is registered for exactly the redirect this sign-in uses (a loopback address
    // with its port, or the out-of-band page that shows the code).
    std::string redirect = sign_in.redirect_uri();
    FormFields app{{"client_name", "crier"}, {"redirect_uris", redirect}, {"scopes", "read write"}};
    HttpResponse r = call(HttpRequest{"POST", server + "/api/v1/apps",
                                      {{"Content-Type", "application/x-www-form-urlencoded"}}, form_encode(app)},
                          "mastodon register app");
    json client = parse_json(r, "mastodon register app");
    if (str(client, "client_id").empty() || str(client, "client_secret").empty())
      throw Error(ErrorKind::permanent, "the instance registered no app (no client_id in its answer)");
    std::string url = server + "/oauth/authorize?" +
                      form_encode({{"client_id", str(client, "client_id")}, {"scope", "read write"},
                                   {"redirect_uri", redirect}, {"response_type", "code"}, {"state", sign_in.state()}});
    std::string code = trim_whitespace(sign_in.code_for(url));
    if (code.empty()) throw Error(ErrorKind::auth, "no authorization code given");
    FormFields grant{{"grant_type", "authorization_code"}, {"code", code}, {"client_id", str(client, "client_id")},
                     {"client_secret", str(client, "client_secret")}, {"redirect_uri", redirect},
                     {"scope", "read write"}};
    HttpResponse t;
    try {
      t = call(HttpRequest{"POST", server + "/oauth/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
                               form_encode(grant)},
                   "mastodon token");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::permanent) throw;
      throw Error(ErrorKind::auth, std::string(e.what()), "run crier accounts add again and sign in once more");
    }
    json tok = parse_json(t, "mastodon token");
    if (str(tok, "access_token").empty()) throw Error(ErrorKind::auth, "the instance gave no access token");
    return {{"access_token", str(tok, "access_token")},
            {"client_id", str(client, "client_id")},
            {"client_secret", str(client, "client_secret")}};
  }

  const Clock& m_clock;
  Pacer m_own_pacer;  // used when the process shares none (X-RateLimit-*: pace, defer, never hammer)
  RestClient m_rest;
};

}  // namespace

std::unique_ptr<Provider> make_mastodon_provider(ProviderEnv& env) {
  return std::make_unique<MastodonProvider>(env);
}

}  // namespace crier
