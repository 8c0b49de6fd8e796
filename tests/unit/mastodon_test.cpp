// The Mastodon provider: what it sends (paths, headers, form bodies), and how it reads what
// the real server sends (recorded traffic).
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include <httplib.h>

#include "config/config.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "fakes/cassette.hpp"
#include "fakes/fake_transport.hpp"
#include "providers/mastodon/testing/mastodon_fake.hpp"
#include "fakes/temp_home.hpp"
#include "http/loopback_redirect.hpp"
#include "http/transport.hpp"
#include "paths.hpp"
#include "text/html_text.hpp"
#include "providers/mastodon/mastodon_provider.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

struct Mastodon {
  MastodonFake fake;
  TempDir dir;
  std::unique_ptr<Transport> http = make_curl_transport();
  FixedClock clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config config = Config::defaults();
  ProviderEnv env{*http, clock, config, dir.path()};
  std::unique_ptr<Provider> provider = make_mastodon_provider(env);

  Session session() {
    Connected c = provider->connect({"", fake.url(), MastodonFake::k_token});
    Session s;
    s.account.network = "mastodon";
    s.account.handle = c.handle;
    s.account.server = c.server;
    s.account.settings = c.settings;
    s.secret = c.secret;
    return s;
  }
  std::vector<RecordedRequest> sent(const std::string& method, const std::string& path) {
    std::vector<RecordedRequest> out;
    for (auto& r : fake.requests())
      if (r.method == method && r.path.rfind(path, 0) == 0) out.push_back(r);
    return out;
  }
};

std::string header(const RecordedRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace

TEST_CASE("mastodon: HTML becomes faithful plain text", "[mastodon]") {
  CHECK(html_to_text("<p>Hello <b>world</b></p>") == "Hello world");
  CHECK(html_to_text("<p>one</p><p>two<br>three<br />four</p>") == "one\n\ntwo\nthree\nfour");
  CHECK(html_to_text("<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &#x1F600; &#8364;</p>") == "a & b <c> \"d\" 'e' 😀 €");
  CHECK(html_to_text(R"(<p><a href="https://example.com/a/very/long/path" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/lo</span><span class="invisible">ng/path</span></a></p>)") ==
        "https://example.com/a/very/long/path");
  CHECK(html_to_text(R"(<p><span class="h-card"><a href="https://x/@ada" class="u-url mention">@<span>ada</span></a></span> hi</p>)") ==
        "@ada hi");
  CHECK(html_to_text("<p>日本語 &amp; עברית</p>") == "日本語 & עברית");
  CHECK(html_to_text("no tags, an & alone") == "no tags, an & alone");
}

TEST_CASE("mastodon: recorded notifications map to inbox items", "[mastodon][recorded]") {
  auto dir = recorded_fixtures_dir() / "mastodon.py/tests/cassettes";
  std::string body;
  for (const auto& i : read_cassette(dir / "test_notifications_mentions_only.yaml"))
    if (i.method == "GET" && i.uri.find("/api/v1/notifications?") != std::string::npos) body = i.response_body;
  REQUIRE_FALSE(body.empty());
  auto recorded = json::parse(body);

  FakeTransport http;
  http.expect("GET", "https://social.example/api/v1/notifications?types%5B%5D=mention&limit=40",
              [](const HttpRequest& q) {
                REQUIRE(q.headers.size() == 1);
                CHECK(q.headers[0] == std::pair<std::string, std::string>{"Authorization", "Bearer tok"});
              },
              json_response(200, body));
  FixedClock clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config config = Config::defaults();
  TempDir dir2;
  ProviderEnv env{http, clock, config, dir2.path()};
  auto p = make_mastodon_provider(env);
  Session s;
  s.account.server = "https://social.example";
  s.account.settings = R"({"account_id":"1"})";
  s.secret = R"({"access_token":"tok"})";
  auto page = p->fetch_inbox(s, InboxStream::mentions, "");
  REQUIRE(page.items.size() == recorded.size());
  const auto& item = page.items.front();
  CHECK(item.kind == "mention");
  CHECK(item.text == "@mastodonpy_test hello!");
  CHECK(item.author == "@" + recorded[0]["status"]["account"]["acct"].get<std::string>());
  CHECK(item.created_at == *parse_iso8601(recorded[0]["status"]["created_at"].get<std::string>()));
  CHECK(page.next_cursor == recorded[0]["id"].get<std::string>());
  CHECK_FALSE(page.more);  // the first poll takes the newest page only
  CHECK(json::parse(item.meta)["visibility"] == "public");
}

TEST_CASE("mastodon: connect reads the instance's limits from the server", "[mastodon]") {
  Mastodon m;
  Session s = m.session();
  CHECK(s.account.handle == "@" + m.fake.me()["username"].get<std::string>() + "@" + m.fake.url().substr(7));
  auto settings = json::parse(s.account.settings);
  CHECK(settings["account_id"] == m.fake.me()["id"]);
  TextRules r = m.provider->text_rules(s.account);
  CHECK(r.max_length == 500);
  CHECK(count_length("see https://example.com/a/very/long/path/indeed", r) == 27);  // a link is 23
  CHECK(r.max_images == 4);
  CHECK(r.notes == "every link counts as 23 characters");
  CHECK(m.sent("GET", "/api/v2/instance").size() == 1);
}

TEST_CASE("mastodon: a status is a form POST with an Idempotency-Key and threads chain replies", "[mastodon]") {
  Mastodon m;
  Session s = m.session();
  auto r = m.provider->publish(s, PublishRequest{"crier-key-1", {{"first part", {}}, {"second part", {}}}});
  REQUIRE(r.parts.size() == 2);
  auto posts = m.sent("POST", "/api/v1/statuses");
  REQUIRE(posts.size() == 2);
  CHECK(header(posts[0], "Idempotency-Key") == "crier-key-1");
  CHECK(header(posts[1], "Idempotency-Key") == "crier-key-1#1");
  CHECK(header(posts[0], "Authorization") == "Bearer test-token");
  CHECK(header(posts[0], "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(posts[0].body == "status=first%20part&visibility=public");
  CHECK(posts[1].body == "status=second%20part&visibility=public&in_reply_to_id=" + r.parts[0].remote_id);
  CHECK(r.parts[0].url.find(r.parts[0].remote_id) != std::string::npos);
}

TEST_CASE("mastodon: images are uploaded with their alt text and waited for", "[mastodon]") {
  Mastodon m;
  Session s = m.session();
  auto png = m.dir.path() / "cat.png";
  write_file_atomic(png, test_png(108));
  MediaItem img{png.string(), "a cat on a keyboard", "image/png", 108};
  auto r = m.provider->publish(s, PublishRequest{"k-media", {{"look", {img}}}});
  std::vector<std::string> descriptions;
  m.fake.media_descriptions(&descriptions);
  CHECK(descriptions == std::vector<std::string>{"a cat on a keyboard"});
  auto uploads = m.sent("POST", "/api/v2/media");
  REQUIRE(uploads.size() == 1);
  CHECK_THAT(header(uploads[0], "Content-Type"), Catch::StartsWith("multipart/form-data; boundary="));
  CHECK(m.sent("GET", "/api/v1/media/").size() == 2);  // 206 while processing, then 200
  auto post = m.sent("POST", "/api/v1/statuses").at(0);
  CHECK_THAT(post.body, Catch::Contains("media_ids%5B%5D="));
  CHECK(m.fake.our_statuses().at(0)["media_attachments"].size() == 1);
}

TEST_CASE("mastodon: errors keep their kind and the server's message", "[mastodon]") {
  Mastodon m;
  Session s = m.session();
  auto kind = [&](auto&& f) -> std::pair<ErrorKind, std::string> {
    try {
      f();
    } catch (const Error& e) {
      return {e.kind(), e.what()};
    }
    return {ErrorKind::internal, "no error"};
  };
  m.fake.fail("/api/v1/statuses", 500);
  CHECK(kind([&] { m.provider->publish(s, {"k1", {{"x", {}}}}); }).first == ErrorKind::transient);
  auto blank = kind([&] { m.provider->publish(s, {"k2", {{"", {}}}}); });
  CHECK(blank.first == ErrorKind::permanent);
  CHECK_THAT(blank.second, Catch::Contains("Text can't be blank"));
  m.fake.fail("/api/v1/statuses", 429, {{"X-RateLimit-Reset", "2026-11-22T10:01:30.000Z"}});
  try {
    m.provider->publish(s, {"k3", {{"x", {}}}});
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() == std::chrono::seconds{90});
  }
  Session bad = s;
  bad.secret = R"({"access_token":"wrong"})";
  CHECK(kind([&] { m.provider->verify(bad); }).first == ErrorKind::auth);
  CHECK(m.fake.statuses_created() == 0);
}

TEST_CASE("mastodon: a window used up defers the next call instead of hammering", "[mastodon]") {
  Mastodon m;
  Session s = m.session();
  m.fake.fail("/api/v1/accounts/verify_credentials", 200, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "2026-11-22T10:05:00Z"}},
              1, m.fake.me().dump());
  m.provider->verify(s);
  auto before = m.fake.requests().size();
  try {
    m.provider->publish(s, {"k", {{"x", {}}}});
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() == std::chrono::seconds{300});
  }
  CHECK(m.fake.requests().size() == before);  // nothing was sent
}

TEST_CASE("mastodon: a lost answer is deduplicated by the key and found by reconcile", "[mastodon][exactly-once]") {
  Mastodon m;
  Session s = m.session();
  PublishRequest q{"crier-lost", {{"exactly once please", {}}}};
  m.fake.lose_next_status_answer();
  CHECK_THROWS_AS(m.provider->publish(s, q), Error);
  CHECK(m.fake.statuses_created() == 1);
  auto found = m.provider->reconcile(s, q);
  REQUIRE(found);
  auto again = m.provider->publish(s, q);
  CHECK(again.parts[0].remote_id == found->parts[0].remote_id);
  CHECK(m.fake.statuses_created() == 1);
}

TEST_CASE("mastodon: replies keep the thread and the visibility and mention the author", "[mastodon][inbox]") {
  Mastodon m;
  Session s = m.session();
  auto ours = m.provider->publish(s, {"k", {{"hello", {}}}});
  m.fake.add_mention("ada@other.example", "nice!", ours.parts[0].remote_id);
  m.fake.add_dm("linus@kernel.example", "psst");
  auto mentions = m.provider->fetch_inbox(s, InboxStream::mentions, "");
  REQUIRE(mentions.items.size() == 1);
  CHECK(mentions.items[0].kind == "reply");
  CHECK(mentions.items[0].parent_remote_id == ours.parts[0].remote_id);
  CHECK(mentions.items[0].text == "@" + m.fake.me()["username"].get<std::string>() + " nice!");
  auto dms = m.provider->fetch_inbox(s, InboxStream::dms, "");
  REQUIRE(dms.items.size() == 1);
  CHECK(dms.items[0].kind == "dm");

  m.provider->reply(s, mentions.items[0], "thanks", "rk-1");
  m.provider->reply(s, dms.items[0], "@linus@kernel.example sure", "rk-2");
  auto posts = m.sent("POST", "/api/v1/statuses");
  REQUIRE(posts.size() == 3);
  CHECK(posts[1].body == "status=%40ada%40other.example%20thanks&in_reply_to_id=" + mentions.items[0].remote_id +
                             "&visibility=public");
  CHECK(posts[2].body == "status=%40linus%40kernel.example%20sure&in_reply_to_id=" + dms.items[0].remote_id +
                             "&visibility=direct");

  // The cursor moves forward: nothing twice, new things once.
  CHECK(m.provider->fetch_inbox(s, InboxStream::mentions, mentions.next_cursor).items.empty());
  m.fake.add_mention("grace@x.example", "ping");
  auto later = m.provider->fetch_inbox(s, InboxStream::mentions, mentions.next_cursor);
  REQUIRE(later.items.size() == 1);
  CHECK(later.items[0].text.find("ping") != std::string::npos);
}

namespace {
// The user pastes the code the instance's out-of-band page shows.
struct PastedSignIn : BrowserSignIn {
  std::string code = "good-code";
  std::string shown;
  std::string redirect_uri() override { return k_oauth_oob_redirect; }
  std::string state() override { return "st-1"; }
  std::string code_for(const std::string& url) override {
    shown = url;
    return code + "\n";
  }
};

// A browser on this machine: follows the authorization address; the instance redirects it to
// the loopback listener, which catches the code.
struct LoopbackSignIn : BrowserSignIn {
  LoopbackRedirect listener{"st-2"};
  int browser_status = 0;
  std::string redirect_uri() override { return listener.redirect_uri(); }
  std::string state() override { return "st-2"; }
  std::string code_for(const std::string& url) override {
    std::thread browser([this, url] {
      size_t path = url.find('/', url.find("://") + 3);
      httplib::Client c(url.substr(0, path));
      c.set_follow_location(true);
      auto r = c.Get(url.substr(path));
      browser_status = r ? r->status : -1;
    });
    std::string code;
    try {
      code = listener.wait_for_code(-1, std::chrono::seconds(10));
    } catch (...) {
      browser.join();
      throw;
    }
    browser.join();
    return code;
  }
};
}  // namespace

TEST_CASE("mastodon: OAuth with the code pasted from the out-of-band page", "[mastodon][auth]") {
  Mastodon m;
  PastedSignIn sign_in;
  ConnectRequest q{"", m.fake.url(), ""};
  q.sign_in = &sign_in;
  Connected c = m.provider->connect(q);
  CHECK_THAT(sign_in.shown, Catch::Contains("/oauth/authorize?client_id=cid-123"));
  CHECK_THAT(sign_in.shown, Catch::Contains("response_type=code") && Catch::Contains("state=st-1") &&
                                Catch::Contains("redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob"));
  auto secret = json::parse(c.secret);
  CHECK(secret["access_token"] == MastodonFake::k_token);
  CHECK(secret["client_id"] == "cid-123");
  auto apps = m.sent("POST", "/api/v1/apps");
  REQUIRE(apps.size() == 1);
  CHECK_THAT(apps[0].body, Catch::Contains("redirect_uris=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob") &&
                               Catch::Contains("scopes=read%20write"));
  auto token_calls = m.sent("POST", "/oauth/token");
  REQUIRE(token_calls.size() == 1);
  CHECK_THAT(token_calls[0].body, Catch::Contains("grant_type=authorization_code") && Catch::Contains("code=good-code"));

  sign_in.code = "bad-code";
  try {
    m.provider->connect(q);
    FAIL("expected auth");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::auth);
  }
  ConnectRequest none{"", m.fake.url(), ""};
  CHECK_THROWS_WITH(m.provider->connect(none), Catch::Contains("--secret-stdin"));
}

TEST_CASE("mastodon: OAuth caught on a loopback redirect", "[mastodon][auth]") {
  Mastodon m;
  LoopbackSignIn sign_in;
  ConnectRequest q{"", m.fake.url(), ""};
  q.sign_in = &sign_in;
  Connected c = m.provider->connect(q);
  CHECK(sign_in.browser_status == 200);  // the tab says it can be closed
  CHECK(json::parse(c.secret)["access_token"] == MastodonFake::k_token);
  // The app is registered for exactly this redirect, and the token exchange repeats it.
  CHECK_THAT(m.sent("POST", "/api/v1/apps").at(0).body, Catch::Contains("redirect_uris=http%3A%2F%2F127.0.0.1%3A"));
  CHECK_THAT(m.sent("POST", "/oauth/token").at(0).body, Catch::Contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"));

  // The user refuses in the browser: an auth error that says so.
  m.fake.deny_sign_in = true;
  LoopbackSignIn refused;
  q.sign_in = &refused;
  try {
    m.provider->connect(q);
    FAIL("expected auth");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::auth);
    CHECK_THAT(e.what(), Catch::Contains("denied"));
  }
}

TEST_CASE("mastodon: metrics per status and followers", "[mastodon][analytics]") {
  Mastodon m;
  Session s = m.session();
  auto r = m.provider->publish(s, {"k", {{"count me", {}}}});
  m.fake.set_counts(r.parts[0].remote_id, 7, 2, 1);
  auto stats = m.provider->post_metrics(s, {r.parts[0].remote_id});
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].likes == 7);
  CHECK(stats[0].reposts == 2);
  CHECK(stats[0].replies == 1);
  CHECK(m.provider->account_metrics(s).followers == 10);
}

TEST_CASE("Link headers and query parameters", "[http]") {
  std::string link = R"(<http://x/api/v1/notifications?max_id=21&types%5B%5D=mention>; rel="next", <http://x/api/v1/notifications?min_id=21&types%5B%5D=mention>; rel="prev")";
  CHECK(link_header_url(link, "prev") == "http://x/api/v1/notifications?min_id=21&types%5B%5D=mention");
  CHECK(query_param(link_header_url(link, "next"), "max_id") == "21");
  CHECK(query_param("http://x/?types%5B%5D=mention", "types%5B%5D") == "mention");
  CHECK(link_header_url(link, "last").empty());
  CHECK(form_encode({{"status", "héllo & bye"}, {"media_ids[]", "1"}}) == "status=h%C3%A9llo%20%26%20bye&media_ids%5B%5D=1");
}

TEST_CASE("mastodon: reconcile accepts only what this delivery can have made", "[mastodon][exactly-once]") {
  Mastodon m;
  Session s = m.session();
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  PublishRequest q{"crier-office", {{"Office hours", {}}}};
  q.attempt_started = now - std::chrono::seconds{10};  // the first attempt began just now
  q.not_before = q.attempt_started - std::chrono::minutes{2};
  std::set<std::string> taken;
  q.taken = [&](const std::string& id) { return taken.count(id) > 0; };

  SECTION("an older post with the same text is another delivery's, or the user's own") {
    m.fake.add_own_status("Office hours", 3600);
    CHECK_FALSE(m.provider->reconcile(s, q));
  }
  SECTION("a post recorded for another delivery is not this one's") {
    taken.insert(m.fake.add_own_status("Office hours", 5));
    CHECK_FALSE(m.provider->reconcile(s, q));
  }
  SECTION("the content must be this delivery's: images, the post it answers, the spoiler, the text") {
    m.fake.add_own_status("Office hours", 5, "", 1);
    m.fake.add_own_status("Office hours", 5, m.fake.add_own_status("something else", 5));
    m.fake.add_own_status("Office hours", 5, "", 0, "cw");
    m.fake.add_own_status("Office hours!", 5);
    CHECK_FALSE(m.provider->reconcile(s, q));
  }
  SECTION("the oldest match not taken is the answer") {
    std::string first = m.fake.add_own_status("Office  hours\n", 8);  // whitespace as Mastodon renders it
    m.fake.add_own_status("Office hours", 5);
    auto found = m.provider->reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts.at(0).remote_id == first);
    taken.insert(first);
    CHECK(m.provider->reconcile(s, q)->parts.at(0).remote_id != first);
  }
  SECTION("one made since the attempt began goes before one from the clock margin") {
    std::string margin = m.fake.add_own_status("Office hours", 60);  // before the attempt, inside the margin
    std::string since = m.fake.add_own_status("Office hours", 2);
    CHECK(m.provider->reconcile(s, q)->parts.at(0).remote_id == since);
    taken.insert(since);
    CHECK(m.provider->reconcile(s, q)->parts.at(0).remote_id == margin);  // the network's clock may be behind
  }
  SECTION("a remote mention reads back as @user") {
    PublishRequest mq = q;
    mq.parts = {{"thanks @bob@example.social.", {}}};
    m.fake.add_own_status("thanks @bob.", 5);
    CHECK(m.provider->reconcile(s, mq));
  }
}

TEST_CASE("mastodon: a thread cut short is found in part and finished, not posted again", "[mastodon][exactly-once]") {
  Mastodon m;
  Session s = m.session();
  m.fake.ignore_idempotency = true;
  PublishRequest q{"crier-thread", {{"part one", {}}, {"part two", {}}, {"part three", {}}}};
  std::string one = m.fake.add_own_status("part one", 1);
  std::string two = m.fake.add_own_status("part two", 1, one);
  auto found = m.provider->reconcile(s, q);
  REQUIRE(found);
  REQUIRE(found->parts.size() == 2);
  CHECK(found->parts[1].remote_id == two);
  q.already = found->parts;
  auto r = m.provider->publish(s, q);
  REQUIRE(r.parts.size() == 3);
  CHECK(r.parts[0].remote_id == one);
  auto posts = m.sent("POST", "/api/v1/statuses");
  REQUIRE(posts.size() == 1);  // only the missing part
  CHECK_THAT(posts[0].body, Catch::Contains("in_reply_to_id=" + two));
  CHECK(m.fake.our_statuses().size() == 3);
}

TEST_CASE("mastodon: a 2xx that is not a status with an id is an unknown outcome, never published", "[mastodon][exactly-once]") {
  for (std::string body : {"[1,2,3]", R"({"id": 123456})", "{}", "<html><body>Welcome</body></html>", ""}) {
    DYNAMIC_SECTION("answer " << body) {
      Mastodon m;
      Session s = m.session();
      m.fake.garble_next_status_answer(body, body[0] == '<' ? "text/html" : "application/json");
      try {
        m.provider->publish(s, {"crier-garbled", {{"garbled", {}}}});
        FAIL("a garbled answer was taken as published");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::transient);
        CHECK_THAT(e.what(), Catch::Contains("unknown"));
      }
      CHECK(m.fake.statuses_created() == 1);
    }
  }
}

TEST_CASE("mastodon: answers of the wrong shape are errors or nothing, never a crash", "[mastodon][hostile]") {
  Mastodon m;
  Session s = m.session();
  m.fake.fail("/api/v1/notifications", 200, {}, 1,
              R"([{"id":"1","status":5},{"id":"2","status":{"id":"3","account":7}},42,{"id":"x y","status":null}])");
  auto page = m.provider->fetch_inbox(s, InboxStream::mentions, "");
  CHECK(page.items.empty());
  m.fake.fail("/api/v1/notifications", 200, {}, 1, R"({"error":"not a list"})");
  CHECK_THROWS_AS(m.provider->fetch_inbox(s, InboxStream::mentions, ""), Error);
  m.fake.fail("/api/v1/statuses/", 200, {}, 1, R"({"id":"other","favourites_count":"lots","reblogs_count":-4})");
  CHECK(m.provider->post_metrics(s, {"1"}).empty());  // not the status asked for
  m.fake.fail("/api/v1/accounts/verify_credentials", 200, {}, 1, "[]");
  CHECK_THROWS_AS(m.provider->connect({"", m.fake.url(), MastodonFake::k_token}), Error);
}
