#include "providers/bluesky/bluesky_provider.hpp"

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "error.hpp"
#include "http/pacer.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "paths.hpp"
#include "provider/json_read.hpp"
#include "providers/bluesky/bluesky_card.hpp"
#include "providers/bluesky/bluesky_richtext.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

using nlohmann::json;

const char* k_default_pds = "https://bsky.social";

using json_read::at;
using json_read::count;
using json_read::str;

// createdAt of the i-th part of a post made now: real milliseconds, and each part a millisecond
// after the one before, so an AppView that orders by createdAt lists a thread in its order.
std::string created_at_iso(PreciseTimestamp base, size_t part) {
  return format_utc_ms(base + std::chrono::milliseconds{static_cast<long long>(part)});
}

// at://did/collection/rkey -> rkey
std::string rkey_of(const std::string& uri) { return uri.substr(uri.find_last_of('/') + 1); }

std::string web_url(const std::string& handle, const std::string& uri) {
  return "https://bsky.app/profile/" + handle + "/post/" + rkey_of(uri);
}

class BlueskyProvider final : public Provider {
 public:
  explicit BlueskyProvider(ProviderEnv& env)
      : m_http(env.http),
        m_clock(env.clock),
        m_chat_service(env.config.get("bluesky.chat_service")),
        m_rest(env.http, env.pacer ? *env.pacer : m_own_pacer, env.clock) {}

  std::string_view name() const override { return "bluesky"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = c.threads = true;
    c.inbox_replies = c.inbox_mentions = c.inbox_dms = true;
    c.reply = c.send_dm = true;
    c.post_metrics = c.account_metrics = true;
    c.native_idempotency = true;  // the same rkey cannot be written twice
    return c;
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.unit = "graphemes";
    r.max_length = 300;
    r.max_bytes = 3000;
    r.max_images = 4;
    r.max_image_bytes = 1'000'000;
    r.image_types = {"image/jpeg", "image/png", "image/gif", "image/webp"};
    r.displayed = [](const std::string& t) { return bluesky::visible_text(t); };
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    if (q.handle.empty())
      throw Error(ErrorKind::usage, "Bluesky needs your handle", "e.g. crier accounts add bluesky --handle you.bsky.social");
    std::string pds = q.server.empty() ? k_default_pds : q.server;
    while (!pds.empty() && pds.back() == '/') pds.pop_back();
    std::string password = q.secret;
    if (password.empty() && q.ask_secret)
      password = q.ask_secret("app password for " + q.handle + " (Bluesky: Settings > App passwords): ");
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.empty())
      throw Error(ErrorKind::usage, "no app password given",
                  "create one in Bluesky's Settings > App passwords and pipe it in with --secret-stdin");
    HttpResponse r = send_raw({"POST", pds + "/xrpc/com.atproto.server.createSession",
                               {{"Content-Type", "application/json"}},
                               json{{"identifier", q.handle}, {"password", password}}.dump()},
                              "bluesky createSession");
    json s = parse(r, "bluesky createSession");
    if (str(s, "did").empty() || str(s, "accessJwt").empty() || str(s, "refreshJwt").empty())
      throw Error(ErrorKind::permanent, "bluesky createSession: the answer is not a session",
                  "check --server: is it the account's PDS?");
    Connected c;
    c.handle = str(s, "handle").empty() ? q.handle : str(s, "handle");
    c.server = pds;
    c.display_name = c.handle;
    c.secret = json{{"did", str(s, "did")}, {"accessJwt", str(s, "accessJwt")}, {"refreshJwt", str(s, "refreshJwt")}}.dump();
    c.settings = json{{"did", str(s, "did")}}.dump();
    return c;
  }

  void verify(Session& s) override { xrpc(s, "GET", "com.atproto.server.getSession", "", {}); }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    PublishResult result;
    json root, parent;
    PreciseTimestamp base = m_clock.now_precise();
    for (size_t i = 0; i < q.parts.size(); ++i) {
      std::string rkey = bluesky::tid_for(q.idempotency_key, q.created_at, static_cast<unsigned>(i));
      json ref;
      if (i < q.already.size()) {
        // A thread cut short: the parts before are there (reconcile found them at their keys).
        auto existing = get_post(s, rkey);
        if (!existing) throw Error(ErrorKind::transient, "bluesky: part " + std::to_string(i + 1) + " went missing");
        ref = *existing;
      } else {
        json record = post_record(s, q.parts[i], created_at_iso(base, i));
        if (!q.lang.empty()) record["langs"] = json::array({q.lang});
        if (q.link_card && !record.contains("embed"))
          if (auto card = link_card(s, q.parts[i].text)) record["embed"] = *card;
        if (i > 0) record["reply"] = {{"root", root}, {"parent", parent}};
        ref = create_post(s, rkey, record);
      }
      if (i == 0) root = ref;
      parent = ref;
      result.parts.push_back({ref["uri"], web_url(s.account.handle, ref["uri"])});
    }
    return result;
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    // Exact: every part of a delivery has its own record key, derived from the delivery's
    // idempotency key, so what is at the key can only be this delivery's.
    PublishResult result;
    for (size_t i = 0; i < q.parts.size(); ++i) {
      auto ref = get_post(s, bluesky::tid_for(q.idempotency_key, q.created_at, static_cast<unsigned>(i)));
      if (!ref) break;  // publishing again writes only the missing parts
      result.parts.push_back({(*ref)["uri"], web_url(s.account.handle, (*ref)["uri"])});
    }
    if (result.parts.empty()) return std::nullopt;
    return result;
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    if (stream == InboxStream::dms) return fetch_dms(s, cursor);
    // Notifications come newest first and page backwards; read back to the last one seen
    // (the cursor is its indexedAt and uri), bounded, and hand them over oldest first.
    InboxPage page;
    std::string newest = cursor;
    std::string api_cursor;
    bool reached = false;
    for (int n = 0; n < 10 && !reached; ++n) {
      std::string query = "limit=50" + (api_cursor.empty() ? "" : "&cursor=" + url_encode(api_cursor));
      json r = xrpc(s, "GET", "app.bsky.notification.listNotifications", query, {});
      for (const auto& note : json_read::list(r, "notifications")) {
        std::string mark = str(note, "indexedAt") + "|" + str(note, "uri");
        if (!cursor.empty() && mark <= cursor) {
          reached = true;
          break;
        }
        if (mark > newest) newest = mark;
        std::string reason = str(note, "reason");
        bool wanted = stream == InboxStream::replies ? (reason == "reply" || reason == "quote") : reason == "mention";
        if (wanted && !str(note, "uri").empty()) page.items.push_back(item_from_notification(note));
      }
      api_cursor = str(r, "cursor");
      if (api_cursor.empty() || cursor.empty()) break;  // the first poll reads one page, no backfill
    }
    std::reverse(page.items.begin(), page.items.end());
    page.next_cursor = newest;
    return page;
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text, const std::string& key) override {
    auto meta = json::parse(to.meta, nullptr, false);
    if (to.kind == "dm") {
      json body = {{"convoId", to.thread_id}, {"message", {{"text", text}}}};
      json r = chat(s, "POST", "chat.bsky.convo.sendMessage", "", body);
      if (str(r, "id").empty())
        throw Error(ErrorKind::transient, "bluesky sendMessage: the answer has no message id; whether it was sent is unknown");
      return {str(r, "id"), ""};
    }
    if (!meta.is_object() || str(meta, "cid").empty())
      throw Error(ErrorKind::permanent, "cannot reply: the post's content id is unknown", "poll again, then reply");
    json parent = {{"uri", to.remote_id}, {"cid", str(meta, "cid")}};
    json root = str(at(meta, "root"), "uri").empty() ? parent : at(meta, "root");
    json record = post_record(s, {text, {}}, created_at_iso(m_clock.now_precise(), 0));
    record["reply"] = {{"root", root}, {"parent", parent}};
    json ref = create_post(s, bluesky::tid_for(key, to.created_at + std::chrono::seconds{1}, 0), record);
    return {ref["uri"], web_url(s.account.handle, ref["uri"])};
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& uris) override {
    std::vector<PostStats> out;
    for (size_t i = 0; i < uris.size(); i += 25) {
      std::string query;
      for (size_t j = i; j < std::min(i + 25, uris.size()); ++j)
        query += (query.empty() ? "" : "&") + std::string("uris=") + url_encode(uris[j]);
      json r = xrpc(s, "GET", "app.bsky.feed.getPosts", query, {});
      for (const auto& p : json_read::list(r, "posts")) {
        PostStats st;
        st.remote_id = str(p, "uri");
        if (st.remote_id.empty()) continue;
        st.likes = count(p, "likeCount");
        st.reposts = count(p, "repostCount");
        st.replies = count(p, "replyCount");
        st.quotes = count(p, "quoteCount");
        out.push_back(st);
      }
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    json p = xrpc(s, "GET", "app.bsky.actor.getProfile", "actor=" + url_encode(did(s)), {});
    AccountStats a;
    if (str(p, "did").empty()) throw Error(ErrorKind::transient, "bluesky getProfile: the answer is not a profile");
    a.followers = count(p, "followersCount");
    a.following = count(p, "followsCount");
    a.posts = count(p, "postsCount");
    return a;
  }

 private:
  static json session_json(const Session& s) {
    auto j = json::parse(s.secret, nullptr, false);
    if (!j.is_object() || str(j, "accessJwt").empty())
      throw Error(ErrorKind::auth, "no Bluesky session stored for '" + s.account.handle + "'",
                  "reconnect: crier accounts add bluesky --handle " + s.account.handle + " --secret-stdin");
    return j;
  }
  static std::string did(const Session& s) { return str(session_json(s), "did"); }

  json parse(const HttpResponse& r, std::string_view what) { return RestClient::json_of(r, what); }

  HttpResponse send_raw(const HttpRequest& q, std::string_view what) { return m_rest.send(q, what); }

  // Every request goes through the rate-limit window (RateLimit-Remaining/Reset headers).
  HttpResponse send(const HttpRequest& q, std::string_view what) { return m_rest.send_any(q, what); }

  static bool expired(const HttpResponse& r) {
    if (r.status != 400 && r.status != 401) return false;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && (str(j, "error") == "ExpiredToken" || str(j, "error") == "InvalidToken");
  }

  // One XRPC call with the session; an expired access token is refreshed once (and the new
  // session saved), never by signing in again.
  json xrpc(Session& s, const std::string& method, const std::string& nsid, const std::string& query,
            const json& body, Headers extra = {}) {
    std::string url = s.account.server + "/xrpc/" + nsid + (query.empty() ? "" : "?" + query);
    for (int attempt = 0;; ++attempt) {
      Headers h = extra;
      h.emplace_back("Authorization", "Bearer " + str(session_json(s), "accessJwt"));
      if (method == "POST") h.emplace_back("Content-Type", "application/json");
      HttpResponse r = send({method, url, h, method == "POST" ? body.dump() : ""}, nsid);
      if (expired(r) && attempt == 0) {
        refresh(s);
        continue;
      }
      throw_for_status(r, "bluesky " + nsid, m_clock.now());
      return r.body.empty() ? json::object() : parse(r, nsid);
    }
  }

  void refresh(Session& s) {
    json old = session_json(s);
    HttpResponse r = send({"POST", s.account.server + "/xrpc/com.atproto.server.refreshSession",
                           {{"Authorization", "Bearer " + str(old, "refreshJwt")}}, ""},
                          "bluesky refreshSession");
    if (r.status == 400 || r.status == 401)
      throw Error(ErrorKind::auth, "the Bluesky session of '" + s.account.handle + "' has expired",
                  "reconnect: crier accounts add bluesky --handle " + s.account.handle + " --secret-stdin");
    throw_for_status(r, "bluesky refreshSession", m_clock.now());
    json fresh = parse(r, "bluesky refreshSession");
    if (str(fresh, "accessJwt").empty() || str(fresh, "refreshJwt").empty())
      throw Error(ErrorKind::transient, "bluesky refreshSession: the answer has no new session");
    old["accessJwt"] = str(fresh, "accessJwt");
    old["refreshJwt"] = str(fresh, "refreshJwt");
    s.secret = old.dump();
    s.save_secret(s.secret);
  }

  json chat(Session& s, const std::string& method, const std::string& nsid, const std::string& query, const json& body) {
    return xrpc(s, method, nsid, query, body, {{"atproto-proxy", m_chat_service}});
  }

  json post_record(Session& s, const OutgoingPart& part, const std::string& created_at) {
    auto rt = bluesky::build_rich_text(part.text, [&](const std::string& handle) -> std::optional<std::string> {
      try {
        json r = xrpc(s, "GET", "com.atproto.identity.resolveHandle", "handle=" + url_encode(handle), {});
        std::string d = str(r, "did");
        return d.empty() ? std::nullopt : std::optional<std::string>(d);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::auth || e.kind() == ErrorKind::network || e.kind() == ErrorKind::transient) throw;
        return std::nullopt;  // no such handle: leave the text plain
      }
    });
    json record = {{"$type", "app.bsky.feed.post"}, {"text", rt.text}, {"createdAt", created_at}};
    if (!rt.facets.empty()) record["facets"] = rt.facets;
    if (!part.media.empty()) {
      json images = json::array();
      for (const auto& m : part.media) images.push_back({{"alt", m.alt}, {"image", upload_blob(s, m)}});
      record["embed"] = {{"$type", "app.bsky.embed.images"}, {"images", images}};
    }
    return record;
  }

  // app.bsky.embed.external for the first link, from the page's Open Graph tags, with its
  // image uploaded as the thumb. Fetches are bounded (5 s, 1 MB); a page that cannot be read
  // means a post without a card, never a failed post.
  std::optional<json> link_card(Session& s, const std::string& text) {
    auto urls = find_urls(text);
    if (urls.empty()) return std::nullopt;
    std::string url = text.substr(urls[0].start, urls[0].end - urls[0].start);
    try {
      HttpRequest page{"GET", url, {{"Accept", "text/html"}}, ""};
      page.timeout = std::chrono::seconds{5};
      page.max_body = 1'000'000;
      HttpResponse r = m_http.send(page);
      if (r.status != 200) return std::nullopt;
      auto card = bluesky::parse_open_graph(r.body, url);
      if (!card) return std::nullopt;
      json external = {{"uri", url}, {"title", card->title}, {"description", card->description}};
      if (!card->image_url.empty()) {
        HttpRequest img{"GET", card->image_url, {}, ""};
        img.timeout = std::chrono::seconds{5};
        img.max_body = 1'000'000;
        HttpResponse ir = m_http.send(img);
        std::string mime = ir.header("Content-Type").value_or("");
        mime = mime.substr(0, mime.find(';'));
        if (ir.status == 200 && mime.rfind("image/", 0) == 0 && !ir.body.empty())
          external["thumb"] = upload_bytes(s, ir.body, mime);
      }
      return json{{"$type", "app.bsky.embed.external"}, {"external", external}};
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth) throw;
      spdlog::warn("no link card for {}: {}", redact(url), e.what());
      return std::nullopt;
    }
  }

  json upload_blob(Session& s, const MediaItem& m) { return upload_bytes(s, read_file(m.path), m.mime, m.path); }

  json upload_bytes(Session& s, const std::string& data, const std::string& mime, const std::string& name = "link image") {
    if (data.size() > 1'000'000)
      throw Error(ErrorKind::invalid_input, "image '" + name + "' is over Bluesky's 1,000,000-byte limit");
    std::string url = s.account.server + "/xrpc/com.atproto.repo.uploadBlob";
    for (int attempt = 0;; ++attempt) {
      HttpResponse r = send({"POST", url,
                             {{"Authorization", "Bearer " + str(session_json(s), "accessJwt")}, {"Content-Type", mime}},
                             data},
                            "bluesky uploadBlob");
      if (expired(r) && attempt == 0) {
        refresh(s);
        continue;
      }
      throw_for_status(r, "bluesky uploadBlob", m_clock.now());
      json answer = parse(r, "bluesky uploadBlob");
      const json& blob = at(answer, "blob");
      if (!blob.is_object()) throw Error(ErrorKind::transient, "bluesky uploadBlob: the answer has no blob");
      return blob;
    }
  }

  // Writes the post at `rkey`. When that key already holds a record (a retry after a lost
  // answer), the existing record is the result: nothing is written twice.
  json create_post(Session& s, const std::string& rkey, const json& record) {
    json body = {{"repo", did(s)}, {"collection", "app.bsky.feed.post"}, {"rkey", rkey}, {"record", record}};
    try {
      json r = xrpc(s, "POST", "com.atproto.repo.createRecord", "", body);
      if (str(r, "uri").rfind("at://", 0) != 0 || str(r, "cid").empty())
        // Made or not? The record at the key says; the engine reconciles.
        throw Error(ErrorKind::transient, "bluesky createRecord: the answer has no record uri and cid");
      return {{"uri", str(r, "uri")}, {"cid", str(r, "cid")}};
    } catch (const Error& e) {
      // However the server words "that key is taken", the record at the key is the answer.
      if (e.kind() != ErrorKind::permanent && e.kind() != ErrorKind::transient) throw;
      if (auto existing = get_post(s, rkey)) return *existing;
      throw;
    }
  }

  std::optional<json> get_post(Session& s, const std::string& rkey) {
    try {
      json r = xrpc(s, "GET", "com.atproto.repo.getRecord",
                    "repo=" + url_encode(did(s)) + "&collection=app.bsky.feed.post&rkey=" + rkey, {});
      if (str(r, "uri").rfind("at://", 0) != 0 || str(r, "cid").empty())
        throw Error(ErrorKind::transient, "bluesky getRecord: the answer has no record uri and cid");
      return json{{"uri", str(r, "uri")}, {"cid", str(r, "cid")}};
    } catch (const Error& e) {
      // A record that is not there is 400 RecordNotFound (some servers: 404), by the server's
      // own error code - not by its wording.
      if (e.kind() == ErrorKind::not_found || (e.kind() == ErrorKind::permanent && e.code() == "RecordNotFound"))
        return std::nullopt;
      throw;
    }
  }

  RemoteItem item_from_notification(const json& note) {
    RemoteItem item;
    std::string reason = str(note, "reason");
    item.kind = reason == "quote" ? "quote" : reason;
    item.remote_id = str(note, "uri");
    const json& record = at(note, "record");
    json meta = {{"cid", str(note, "cid")}};
    const json& reply = at(record, "reply");
    if (reply.is_object() && !str(at(reply, "root"), "uri").empty()) {
      item.parent_remote_id = str(at(reply, "parent"), "uri");
      item.thread_id = str(at(reply, "root"), "uri");
      meta["root"] = at(reply, "root");
    } else {
      item.thread_id = item.remote_id;
    }
    item.author = "@" + str(at(note, "author"), "handle");
    item.author_name = str(at(note, "author"), "displayName");
    item.text = str(record, "text");
    item.url = web_url(str(at(note, "author"), "handle"), item.remote_id);
    item.created_at = parse_iso8601(str(note, "indexedAt")).value_or(m_clock.now());
    item.meta = meta.dump();
    return item;
  }

  InboxPage fetch_dms(Session& s, const std::string& cursor) {
    InboxPage page;
    std::string newest = cursor;
    std::string me = did(s);
    json r = chat(s, "GET", "chat.bsky.convo.listConvos", "limit=50", {});
    for (const auto& convo : json_read::list(r, "convos")) {
      const json& last = at(convo, "lastMessage");
      if (!last.is_object() || str(last, "id").empty() || str(at(last, "sender"), "did") == me) continue;
      std::string mark = str(last, "sentAt") + "|" + str(last, "id");
      if (!cursor.empty() && mark <= cursor) continue;
      if (mark > newest) newest = mark;
      RemoteItem item;
      item.kind = "dm";
      item.remote_id = str(last, "id");
      item.thread_id = str(convo, "id");
      std::string sender = str(at(last, "sender"), "did");
      for (const auto& m : json_read::list(convo, "members"))
        if (str(m, "did") == sender) {
          item.author = "@" + str(m, "handle");
          item.author_name = str(m, "displayName");
        }
      if (item.author.empty()) item.author = sender;
      item.text = str(last, "text");
      item.created_at = parse_iso8601(str(last, "sentAt")).value_or(m_clock.now());
      page.items.push_back(item);
    }
    std::sort(page.items.begin(), page.items.end(),
              [](const RemoteItem& a, const RemoteItem& b) { return a.created_at < b.created_at; });
    page.next_cursor = newest;
    return page;
  }

  Transport& m_http;  // for pages and images of link cards, which are not API calls
  const Clock& m_clock;
  std::string m_chat_service;
  Pacer m_own_pacer;  // used when the process shares none (RateLimit-*: pace, defer, never hammer)
  RestClient m_rest;
};

}  // namespace

std::unique_ptr<Provider> make_bluesky_provider(ProviderEnv& env) { return std::make_unique<BlueskyProvider>(env); }

}  // namespace crier
