// What a lying server sends back: every answer the Mastodon, Bluesky, Reddit, Threads, Instagram and
// Facebook providers read (status posts, statuses lists, notifications, conversations, records,
// sessions, profiles, containers and their status, quotas, insights) comes from
// the fuzzer, with its status code and rate-limit headers. The provider must answer with a
// result or a crier::Error - never crash, never let a JSON type error out, never record a
// publish without an id.
#include <memory>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "fuzz_common.hpp"
#include "http/pacer.hpp"
#include "http/transport.hpp"
#include "provider/provider.hpp"
#include "providers/bluesky/bluesky_provider.hpp"
#include "providers/mastodon/mastodon_provider.hpp"
#include "media/media_store.hpp"
#include "providers/facebook/facebook_provider.hpp"
#include "providers/instagram/instagram_provider.hpp"
#include "providers/reddit/reddit_provider.hpp"
#include "providers/threads/threads_provider.hpp"

namespace {

using namespace crier;

// Every request gets the next scripted answer (then the last one again).
class ScriptedTransport final : public Transport {
 public:
  explicit ScriptedTransport(fuzz::Input& in) {
    for (int i = 0; i < 6; ++i) {
      HttpResponse r;
      static const int k_status[] = {200, 200, 200, 201, 202, 206, 400, 401, 404, 429, 500, 503};
      r.status = k_status[in.byte() % 12];
      uint8_t h = in.byte();
      if (h & 1) r.headers.emplace_back("Retry-After", std::string(in.piece()));
      if (h & 2) r.headers.emplace_back("X-RateLimit-Remaining", std::string(in.piece()));
      if (h & 4) r.headers.emplace_back("X-RateLimit-Reset", std::string(in.piece()));
      if (h & 8) r.headers.emplace_back("RateLimit-Remaining", "0");
      r.body = std::string(in.piece());
      m_answers.push_back(std::move(r));
    }
  }
  HttpResponse send(const HttpRequest&) override {
    if (++m_calls > 40) throw Error(ErrorKind::transient, "enough");  // no endless paging
    HttpResponse r = m_answers[std::min(m_next, m_answers.size() - 1)];
    ++m_next;
    return r;
  }

 private:
  std::vector<HttpResponse> m_answers;
  size_t m_next = 0;
  int m_calls = 0;
};

// Images "uploaded" without a process or a server: the networks fetch them by URL.
class FixedUrlStore final : public MediaStore {
 public:
  std::string_view kind() const override { return "fixed"; }
  std::string public_url(const MediaItem&) override { return "https://media.example/crier/a.jpg"; }
  void done_with(const MediaItem&) override {}
  std::string check() override { return "fixed"; }
};

Session session_for(const std::string& network) {
  Session s;
  if (network == "threads" || network == "instagram" || network == "facebook") {
    s.account.network = network;
    s.account.handle = "crier_tester";
    s.account.server = "https://graph.example";
    s.account.settings = R"({"user_id":"1","ig_user_id":"2","page_id":"3"})";
    // A token near its end, issued long ago: refreshing is fuzzed too.
    s.secret = R"({"access_token":"t","user_id":"1","login":"instagram","issued_at":1790000000,)"
               R"("expires_at":1795100000})";
    return s;
  }
  if (network == "reddit") {
    s.account.network = network;
    s.account.handle = "crier_tester";
    s.account.server = "https://oauth.example";
    s.secret = R"({"client_id":"c","client_secret":"s","username":"crier_tester","password":"p",)"
               R"("access_token":"t","expires_at":99999999999,"auth_server":"https://www.example"})";
    return s;
  }
  s.account.network = network;
  s.account.handle = network == "bluesky" ? "alice.test" : "@me@example.social";
  s.account.server = "https://example.social";
  s.account.settings = network == "bluesky" ? R"({"did":"did:plc:alice"})"
                                            : R"({"account_id":"1","visibility":"public"})";
  s.secret = network == "bluesky" ? R"({"did":"did:plc:alice","accessJwt":"a","refreshJwt":"r"})"
                                  : R"({"access_token":"t"})";
  return s;
}

void check(const PublishResult& r) {
  for (const auto& p : r.parts)
    if (p.remote_id.empty()) fuzz::fail("a publish without an id must be an error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t op = in.byte();
  static const char* const k_networks[] = {"mastodon", "reddit",   "threads", "instagram",
                                           "bluesky",  "facebook", "bluesky", "mastodon"};
  std::string network = k_networks[(op >> 5) & 7];
  ScriptedTransport http(in);
  static FixedClock clock{from_unix(1'795'000'000)};
  static Config config = [] {
    Config c = Config::defaults();
    // Containers are checked once, never waited for: a fuzzed status that never finishes must
    // not sleep.
    c.set_override("threads.container_wait_seconds", "0");
    c.set_override("instagram.container_wait_seconds", "0");
    return c;
  }();
  Pacer pacer(std::chrono::milliseconds{0}, std::chrono::seconds{60});
  MediaStores media(config, http, clock, std::make_unique<FixedUrlStore>());
  ProviderEnv env{http, clock, config, "/nonexistent", &pacer, &media};
  auto provider = network == "bluesky"     ? make_bluesky_provider(env)
                  : network == "reddit"    ? make_reddit_provider(env)
                  : network == "threads"   ? make_threads_provider(env)
                  : network == "instagram" ? make_instagram_provider(env)
                  : network == "facebook"  ? make_facebook_provider(env)
                                           : make_mastodon_provider(env);
  Session s = session_for(network);
  PublishRequest q{"crier-fuzz", {{"part one", {}}, {"part two", {}}}, from_unix(1'794'999'000)};
  q.link_card = false;
  if (network == "reddit") {  // one part, with what Reddit needs
    q.parts.pop_back();
    q.title = "A title";
    q.options["subreddit"] = "test";
    q.options["flair"] = (op & 0x10) ? "News" : "";
  }
  if (network == "instagram") {  // one part, with an image (not read: the store is fixed)
    q.parts.pop_back();
    q.parts[0].media.push_back(MediaItem{"/nonexistent/a.jpg", "alt", "image/jpeg", 100, 1080, 1080});
    if (op & 0x10) q.parts[0].media.push_back(q.parts[0].media[0]);  // a carousel
  }
  if (network == "facebook") q.parts.pop_back();
  if (network == "threads" && (op & 0x10)) q.parts[0].media.push_back(MediaItem{"/nonexistent/a.png", "", "image/png", 100, 64, 48});
  // What an earlier attempt made, sometimes: a container, its media, or carousel items.
  if (op & 0x08) q.progress = R"({"parts":[{"children":["11","12"],"container":"13","media":""}]})";
  q.taken = [](const std::string& id) { return id.size() % 7 == 3; };
  return fuzz::guarded([&] {
    switch (op % 8) {
      case 0: check(provider->publish(s, q)); break;
      case 1:
        if (auto r = provider->reconcile(s, q)) check(*r);
        break;
      case 2: (void)provider->fetch_inbox(s, InboxStream::mentions, (op & 0x08) ? "" : "110000000000000000"); break;
      case 3: (void)provider->fetch_inbox(s, InboxStream::dms, (op & 0x10) ? "1795000000:a,b" : ""); break;
      case 4: (void)provider->fetch_inbox(s, network == "bluesky" ? InboxStream::replies : InboxStream::mentions,
                                          "2026-01-01T00:00:00Z|at://x"); break;
      case 5: (void)provider->post_metrics(s, {"1", "at://did:plc:alice/app.bsky.feed.post/3k"}); break;
      case 6: (void)provider->account_metrics(s); break;
      case 7: {
        RemoteItem to{(op & 0x10) ? "dm" : "reply", "at://did:plc:bob/app.bsky.feed.post/1", "", "", "@bob", "Bob", "hi", "",
                      from_unix(1'794'990'000),
                      R"({"cid":"bafy","acct":"bob@example.social","visibility":"public","sender_id":"9"})"};
        if (provider->reply(s, to, "thanks", "crier-reply-1").remote_id.empty()) fuzz::fail("a reply without an id must be an error");
        break;
      }
    }
  });
}
