// The Reddit provider against a loopback Reddit that answers with recorded bodies.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "paths.hpp"
#include "providers/reddit/reddit_provider.hpp"
#include "providers/reddit/testing/reddit_fake.hpp"

namespace crier::testing {
namespace {

Timestamp real_now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

class RedditFixture final : public ConformanceFixture {
 public:
  RedditFixture()
      : m_http(make_curl_transport()),
        m_env{*m_http, m_clock, m_config, m_dir.path()},
        m_provider(make_reddit_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {RedditFake::k_user, m_fake.url(), m_fake.credentials()}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    // People answer each of our posts, mention us and write to us.
    for (const auto& sub : m_fake.our_submissions()) m_fake.add_reply(sub["name"], "ada", "nice one");
    m_fake.add_mention("grace", "u/crier_tester have you seen this?");
    m_fake.add_dm("linus", "question", "quick question");
  }
  size_t posts_on_network() override { return m_fake.our_submissions().size() + m_fake.our_comments(); }
  std::string bad_secret() override {
    return R"({"client_id":"nope","client_secret":"nope","username":"crier_tester","password":"nope",)"
           R"("access_token":"not-a-real-token","expires_at":9999999999,"auth_server":")" +
           m_fake.url() + "\"}";
  }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_submit();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }
  std::map<std::string, std::string> required_options() override {
    return {{"subreddit", "flairy"}, {"flair", "News"}};
  }

  RedditFake m_fake;

 private:
  TempDir m_dir;
  std::unique_ptr<Transport> m_http;
  FixedClock m_clock{real_now()};
  Config m_config = Config::defaults();
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

Session session_of(RedditFixture& f) {
  Connected c = f.provider().connect(f.good_connect());
  Session s;
  s.account.network = "reddit";
  s.account.handle = c.handle;
  s.account.server = c.server;
  s.account.settings = c.settings;
  s.secret = c.secret;
  s.save_secret = [&s](const std::string& v) { s.secret = v; };
  return s;
}

PublishRequest post(const std::string& key, const std::string& sr, const std::string& title,
                    const std::string& text) {
  PublishRequest q{key, {{text, {}}}};
  q.title = title;
  q.options["subreddit"] = sr;
  return q;
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

}  // namespace

TEST_CASE("reddit passes the provider conformance suite", "[conformance][reddit]") {
  RedditFixture f;
  run_provider_conformance(f);
}

TEST_CASE("reddit: what it sends, and what it refuses before sending", "[conformance][reddit]") {
  RedditFixture f;
  Provider& p = f.provider();
  Session s = session_of(f);
  SECTION("a self post with its title, flags and flair; a link post from a lone URL; Reddit's User-Agent") {
    auto q = post("k1", "flairy", "Release 2.1", "**Faster** publishing.\n\n- one\n- two");
    q.options["flair"] = "news";
    q.options["nsfw"] = "true";
    q.options["spoiler"] = "true";
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    CHECK(r.parts[0].remote_id.rfind("t3_", 0) == 0);
    auto sub = f.m_fake.our_submissions().back();
    CHECK(sub["title"] == "Release 2.1");
    CHECK(sub["selftext"] == "**Faster** publishing.\n\n- one\n- two");  // markdown as typed
    CHECK(sub["over_18"] == true);
    CHECK(sub["spoiler"] == true);
    CHECK(sub["link_flair_text"] == "News");
    p.publish(s, post("k2", "r/test", "A link", "https://example.com/post"));
    CHECK(f.m_fake.our_submissions().back()["url"] == "https://example.com/post");
    for (const auto& req : f.m_fake.requests())
      CHECK_THAT(req.headers.find("User-Agent")->second,
                 Catch::Matches(R"(cli:crier:[0-9.]+ \(by /u/crier_tester\))"));
  }
  SECTION("an image post goes through the media lease and is found although the answer names no post") {
    auto path = f.scratch_dir() / "cat.png";
    write_file_atomic(path, test_png(300, 32, 32));
    auto q = post("k-img", "test", "A cat", "Look at this cat");
    q.parts[0].media.push_back(MediaItem{path.string(), "a cat", "image/png", 300, 32, 32});
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    auto sub = f.m_fake.our_submissions().back();
    CHECK(r.parts[0].remote_id == sub["name"]);
    CHECK_THAT(sub["url"].get<std::string>(), Catch::Contains("/media-upload/"));
    q.parts[0].media.push_back(q.parts[0].media[0]);
    CHECK(kind_of([&] { p.publish(s, q); }) == ErrorKind::invalid_input);  // one image per post
  }
  SECTION("a required flair is asked for by name, before anything is submitted") {
    try {
      p.publish(s, post("k3", "flairy", "No flair", "text"));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK_THAT(e.what(), Catch::Contains("r/flairy requires a flair"));
      CHECK_THAT(e.hint(), Catch::Contains("Discussion, News"));
    }
    auto q = post("k4", "flairy", "Wrong flair", "text");
    q.options["flair"] = "Memes";
    CHECK(kind_of([&] { p.publish(s, q); }) == ErrorKind::invalid_input);
    CHECK(kind_of([&] { p.publish(s, post("k5", "nosuchplace", "T", "x")); }) == ErrorKind::invalid_input);
    CHECK(kind_of([&] { p.publish(s, post("k6", "test", std::string(301, 't'), "x")); }) ==
          ErrorKind::invalid_input);
    CHECK(f.m_fake.our_submissions().empty());
  }
  SECTION("RATELIMIT in the answer is a rate limit with Reddit's wait") {
    f.m_fake.ratelimit_next_submit();
    try {
      p.publish(s, post("k7", "test", "Too fast", "x"));
      FAIL("expected a rate limit");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::rate_limited);
      REQUIRE(e.retry_after());
      CHECK(e.retry_after()->count() == 126);
    }
  }
  SECTION("an expired token is renewed with the password grant, and saved") {
    int before = f.m_fake.tokens_issued();
    f.m_fake.expire_tokens();
    std::string old = s.secret;
    CHECK_NOTHROW(p.verify(s));
    CHECK(f.m_fake.tokens_issued() == before + 1);
    CHECK(s.secret != old);
  }
  SECTION("reconcile takes only this delivery's: subreddit, title, time, not taken") {
    auto q = post("k8", "test", "Weekly thread", "x");
    q.attempt_started = real_now();
    q.not_before = q.attempt_started - std::chrono::minutes{2};
    f.m_fake.add_own_submission("test", "Weekly thread", 7 * 86400);  // last week's
    CHECK_FALSE(p.reconcile(s, q));
    f.m_fake.add_own_submission("other", "Weekly thread", 0);  // elsewhere
    CHECK_FALSE(p.reconcile(s, q));
    std::string mine = f.m_fake.add_own_submission("Test", "Weekly thread", 0);
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == mine);
    q.taken = [&](const std::string& id) { return id == mine; };
    CHECK_FALSE(p.reconcile(s, q));
  }
  SECTION("a bad password is an auth error at connect, and the password never shows") {
    ConnectRequest c = f.good_connect();
    c.secret = R"({"client_id":"fake-client-id","client_secret":"fake-client-secret","password":"wrong"})";
    try {
      p.connect(c);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK(std::string(e.what()).find("wrong") == std::string::npos);
    }
  }
}

}  // namespace crier::testing
