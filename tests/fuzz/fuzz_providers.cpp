// What a lying server sends back: every answer the Mastodon, Bluesky and Reddit providers read (status
// posts, statuses lists, notifications, conversations, records, sessions, profiles) comes from
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
#include "providers/reddit/reddit_provider.hpp"

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

Session session_for(const std::string& network) {
  Session s;
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
  std::string network = (op & 0x80) ? "bluesky" : (op & 0x20) ? "reddit" : "mastodon";
  ScriptedTransport http(in);
  static FixedClock clock{from_unix(1'795'000'000)};
  static Config config = Config::defaults();
  Pacer pacer(std::chrono::milliseconds{0}, std::chrono::seconds{60});
  ProviderEnv env{http, clock, config, "/nonexistent", &pacer};
  auto provider = network == "bluesky"  ? make_bluesky_provider(env)
                  : network == "reddit" ? make_reddit_provider(env)
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
  q.taken = [](const std::string& id) { return id.size() % 7 == 3; };
  return fuzz::guarded([&] {
    switch (op % 8) {
      case 0: check(provider->publish(s, q)); break;
      case 1:
        if (auto r = provider->reconcile(s, q)) check(*r);
        break;
      case 2: (void)provider->fetch_inbox(s, InboxStream::mentions, (op & 0x40) ? "" : "110000000000000000"); break;
      case 3: (void)provider->fetch_inbox(s, InboxStream::dms, ""); break;
      case 4: (void)provider->fetch_inbox(s, network == "bluesky" ? InboxStream::replies : InboxStream::mentions,
                                          "2026-01-01T00:00:00Z|at://x"); break;
      case 5: (void)provider->post_metrics(s, {"1", "at://did:plc:alice/app.bsky.feed.post/3k"}); break;
      case 6: (void)provider->account_metrics(s); break;
      case 7: {
        RemoteItem to{"reply", "at://did:plc:bob/app.bsky.feed.post/1", "", "", "@bob", "Bob", "hi", "", from_unix(1),
                      R"({"cid":"bafy","acct":"bob@example.social","visibility":"public"})"};
        if (provider->reply(s, to, "thanks", "crier-reply-1").remote_id.empty()) fuzz::fail("a reply without an id must be an error");
        break;
      }
    }
  });
}
