// Bluesky: rich text facets at UTF-8 byte offsets, record keys, and what the provider sends.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "providers/bluesky/testing/bluesky_fake.hpp"
#include "fakes/cassette.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/loopback_server.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "paths.hpp"
#include "providers/bluesky/bluesky_card.hpp"
#include "providers/bluesky/bluesky_provider.hpp"
#include "providers/bluesky/bluesky_richtext.hpp"
#include "text/text_rules.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

std::optional<std::string> resolve(const std::string& handle) {
  if (handle == "bob.test") return std::string("did:plc:bob");
  if (handle == "日本.example") return std::string("did:plc:jp");
  return std::nullopt;
}

// The bytes a facet covers.
std::string covered(const bluesky::RichText& rt, size_t i) {
  size_t start = rt.facets[i]["index"]["byteStart"], end = rt.facets[i]["index"]["byteEnd"];
  return rt.text.substr(start, end - start);
}

struct Bluesky {
  BlueskyFake fake;
  TempDir dir;
  std::unique_ptr<Transport> http = make_curl_transport();
  FixedClock clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config config = [] {
    Config c = Config::defaults();
    c.set_override("bluesky.chat_service", BlueskyFake::k_chat);
    return c;
  }();
  ProviderEnv env{*http, clock, config, dir.path()};
  std::unique_ptr<Provider> provider = make_bluesky_provider(env);
  std::vector<std::string> saved;

  Session session() {
    Connected c = provider->connect({BlueskyFake::k_handle, fake.url(), BlueskyFake::k_password});
    Session s;
    s.account.network = "bluesky";
    s.account.handle = c.handle;
    s.account.server = c.server;
    s.account.settings = c.settings;
    s.secret = c.secret;
    s.save_secret = [this](const std::string& secret) { saved.push_back(secret); };
    return s;
  }
  std::vector<RecordedRequest> sent(const std::string& nsid) {
    std::vector<RecordedRequest> out;
    for (auto& r : fake.requests())
      if (r.path == "/xrpc/" + nsid) out.push_back(r);
    return out;
  }
};

}  // namespace

TEST_CASE("bluesky facets sit at exact UTF-8 byte offsets", "[bluesky][richtext]") {
  auto rt = bluesky::build_rich_text("héllo 👨‍👩‍👧 @bob.test see https://example.com/x #crier!", resolve);
  REQUIRE(rt.facets.size() == 3);
  CHECK(covered(rt, 0) == "@bob.test");
  CHECK(rt.facets[0]["features"][0]["did"] == "did:plc:bob");
  CHECK(rt.facets[0]["features"][0]["$type"] == "app.bsky.richtext.facet#mention");
  CHECK(covered(rt, 1) == "example.com/x");
  CHECK(rt.facets[1]["features"][0]["uri"] == "https://example.com/x");
  CHECK(covered(rt, 2) == "#crier");
  CHECK(rt.facets[2]["features"][0]["tag"] == "crier");
  // "héllo " is 7 bytes, the family emoji 18, then a space: the mention starts at byte 26.
  CHECK(rt.facets[0]["index"]["byteStart"] == 26);
}

TEST_CASE("bluesky: CJK, RTL and combining marks before facets", "[bluesky][richtext]") {
  auto rt = bluesky::build_rich_text("日本語 שלום e\xCC\x81 @日本.example #タグ https://例え.jp/パス", resolve);
  // Non-ASCII handles are not valid AT handles: no mention facet, the text stays as typed.
  for (const auto& f : rt.facets) CHECK(f["features"][0]["$type"] != "app.bsky.richtext.facet#mention");
  bool tag = false, link = false;
  for (size_t i = 0; i < rt.facets.size(); ++i) {
    std::string t = rt.facets[i]["features"][0]["$type"];
    if (t == "app.bsky.richtext.facet#tag") {
      tag = true;
      CHECK(covered(rt, i) == "#タグ");
    }
    if (t == "app.bsky.richtext.facet#link") {
      link = true;
      CHECK(covered(rt, i) == "例え.jp/パス");
    }
  }
  CHECK(tag);
  CHECK(link);
}

TEST_CASE("bluesky: long URLs are shortened in the text, kept whole in the facet", "[bluesky][richtext]") {
  std::string url = "https://example.com/a/really/long/path/that/goes/on?and=on&on=1";
  auto rt = bluesky::build_rich_text("read " + url + " now", resolve);
  CHECK(rt.text == "read example.com/a/really/long/p... now");
  CHECK(rt.facets[0]["features"][0]["uri"] == url);
  CHECK(covered(rt, 0) == "example.com/a/really/long/p...");
  // Counting uses the shortened form: a post with a 400-character URL fits.
  Config config = Config::defaults();
  TempDir dir;
  FixedClock clock{Timestamp{}};
  std::unique_ptr<Transport> http = make_curl_transport();
  ProviderEnv env{*http, clock, config, dir.path()};
  auto p = make_bluesky_provider(env);
  auto rules = p->text_rules(Account{});
  CHECK(check_length("see https://example.com/" + std::string(400, 'a'), rules).fits());
  CHECK_FALSE(check_length(std::string(301, 'a'), rules).fits());
}

TEST_CASE("bluesky: unresolvable mentions, digits-only tags and e-mail addresses stay plain", "[bluesky][richtext]") {
  auto rt = bluesky::build_rich_text("hi @nobody.test mail me@example.com #2024 #ok", resolve);
  REQUIRE(rt.facets.size() == 1);
  CHECK(covered(rt, 0) == "#ok");
}

TEST_CASE("bluesky record keys are TIDs, stable per delivery and part", "[bluesky]") {
  auto t = *parse_iso8601("2026-11-22T10:00:00Z");
  std::string a = bluesky::tid_for("crier-abc", t, 0);
  CHECK(a.size() == 13);
  CHECK(a.find_first_not_of("234567abcdefghijklmnopqrstuvwxyz") == std::string::npos);
  CHECK(std::string("234567abcdefghij").find(a[0]) != std::string::npos);
  CHECK(bluesky::tid_for("crier-abc", t, 0) == a);
  CHECK(bluesky::tid_for("crier-abc", t, 1) != a);
  CHECK(bluesky::tid_for("crier-abd", t, 0) != a);
  CHECK(bluesky::tid_for("crier-abc", t + std::chrono::hours{1}, 0) > a);  // sortable by time
}

TEST_CASE("bluesky: one sign-in, then the session is refreshed, never re-created", "[bluesky][auth]") {
  Bluesky b;
  Session s = b.session();
  CHECK(b.fake.create_session_calls() == 1);
  auto secret = json::parse(s.secret);
  CHECK(secret["did"] == BlueskyFake::k_did);
  CHECK(secret.contains("refreshJwt"));
  CHECK(secret.find("password") == secret.end());  // the app password is never stored
  b.fake.expire_access();
  b.provider->verify(s);
  CHECK(b.fake.create_session_calls() == 1);
  REQUIRE(b.saved.size() == 1);  // the refreshed session was handed back to be stored
  CHECK(json::parse(b.saved[0])["accessJwt"] != secret["accessJwt"]);
  b.fake.expire_access();
  b.fake.expire_refresh();
  try {
    b.provider->verify(s);
    FAIL("expected auth");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::auth);
    CHECK_THAT(e.hint(), Catch::Contains("crier accounts add bluesky --handle alice.test"));
  }
  CHECK(b.fake.create_session_calls() == 1);
  CHECK_THROWS_AS(b.provider->connect({BlueskyFake::k_handle, b.fake.url(), "wrong"}), Error);
}

TEST_CASE("bluesky: createRecord carries the rkey, facets, images with alt, and thread refs", "[bluesky]") {
  Bluesky b;
  Session s = b.session();
  auto png = b.dir.path() / "a.png";
  write_file_atomic(png, test_png(72));
  MediaItem img{png.string(), "a tiny image", "image/png", 72};
  PublishRequest q{"crier-k1", {{"hi @bob.test #crier", {img}}, {"second", {}}}, *parse_iso8601("2026-11-22T09:00:00Z"), "en"};
  auto r = b.provider->publish(s, q);
  REQUIRE(r.parts.size() == 2);
  auto creates = b.sent("com.atproto.repo.createRecord");
  REQUIRE(creates.size() == 2);
  auto first = json::parse(creates[0].body);
  CHECK(first["repo"] == BlueskyFake::k_did);
  CHECK(first["collection"] == "app.bsky.feed.post");
  CHECK(first["rkey"] == bluesky::tid_for("crier-k1", q.created_at, 0));
  CHECK(first["record"]["$type"] == "app.bsky.feed.post");
  CHECK(first["record"]["langs"] == json::array({"en"}));
  CHECK(first["record"]["facets"].size() == 2);
  CHECK(first["record"]["embed"]["$type"] == "app.bsky.embed.images");
  CHECK(first["record"]["embed"]["images"][0]["alt"] == "a tiny image");
  CHECK(first["record"]["embed"]["images"][0]["image"]["mimeType"] == "image/png");
  auto blob = b.sent("com.atproto.repo.uploadBlob").at(0);
  CHECK(blob.headers.find("Content-Type")->second == "image/png");
  CHECK(blob.body.size() == 72);
  auto second = json::parse(creates[1].body);
  auto posts = b.fake.our_posts();
  CHECK(second["record"]["reply"]["root"]["uri"] == posts[0]["uri"]);
  CHECK(second["record"]["reply"]["root"]["cid"] == posts[0]["cid"]);
  CHECK(second["record"]["reply"]["parent"]["uri"] == posts[0]["uri"]);
  CHECK(r.parts[0].url.rfind("https://bsky.app/profile/alice.test/post/", 0) == 0);
}

TEST_CASE("bluesky: a lost answer collides with the first write and reconcile finds it", "[bluesky][exactly-once]") {
  Bluesky b;
  Session s = b.session();
  PublishRequest q{"crier-lost", {{"only once", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")};
  CHECK_FALSE(b.provider->reconcile(s, q));
  b.fake.lose_next_create();
  auto r = b.provider->publish(s, q);  // 502, but the record is at the key: that is the answer
  CHECK(b.fake.our_posts().size() == 1);
  auto found = b.provider->reconcile(s, q);
  REQUIRE(found);
  CHECK(found->parts[0].remote_id == r.parts[0].remote_id);
  auto again = b.provider->publish(s, q);
  CHECK(again.parts[0].remote_id == r.parts[0].remote_id);
  CHECK(b.fake.our_posts().size() == 1);
}

TEST_CASE("bluesky: notifications become replies and mentions and answers keep root and parent", "[bluesky][inbox]") {
  Bluesky b;
  Session s = b.session();
  auto ours = b.provider->publish(s, {"k", {{"hello", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")});
  b.fake.add_reply("bob.test", "nice post", ours.parts[0].remote_id);
  b.fake.add_mention("carol.test", "look at this");
  auto replies = b.provider->fetch_inbox(s, InboxStream::replies, "");
  REQUIRE(replies.items.size() == 1);
  CHECK(replies.items[0].author == "@bob.test");
  CHECK(replies.items[0].parent_remote_id == ours.parts[0].remote_id);
  auto mentions = b.provider->fetch_inbox(s, InboxStream::mentions, "");
  REQUIRE(mentions.items.size() == 1);  // the like is not an inbox item
  CHECK(mentions.items[0].kind == "mention");

  b.provider->reply(s, replies.items[0], "thanks!", "crier-reply-1");
  auto create = json::parse(b.sent("com.atproto.repo.createRecord").back().body);
  auto bob = b.fake.our_posts();  // alice's posts only
  CHECK(create["record"]["reply"]["parent"]["uri"] == replies.items[0].remote_id);
  CHECK(create["record"]["reply"]["root"]["uri"] == ours.parts[0].remote_id);
  CHECK_FALSE(create["record"]["reply"]["parent"]["cid"].get<std::string>().empty());

  CHECK(b.provider->fetch_inbox(s, InboxStream::replies, replies.next_cursor).items.empty());
  b.fake.add_reply("carol.test", "me too", ours.parts[0].remote_id);
  auto later = b.provider->fetch_inbox(s, InboxStream::replies, replies.next_cursor);
  REQUIRE(later.items.size() == 1);
  CHECK(later.items[0].author == "@carol.test");
}

TEST_CASE("bluesky: DMs go through the PDS with the atproto-proxy header", "[bluesky][inbox]") {
  Bluesky b;
  Session s = b.session();
  b.fake.add_dm("bob.test", "psst");
  auto dms = b.provider->fetch_inbox(s, InboxStream::dms, "");
  REQUIRE(dms.items.size() == 1);
  CHECK(dms.items[0].kind == "dm");
  CHECK(dms.items[0].author == "@bob.test");
  b.provider->reply(s, dms.items[0], "hi bob", "k");
  REQUIRE(b.fake.sent_messages().size() == 1);
  CHECK(b.fake.sent_messages()[0]["convoId"] == "convo-bob.test");
  auto calls = b.sent("chat.bsky.convo.listConvos");
  CHECK(calls.at(0).headers.find("atproto-proxy")->second == BlueskyFake::k_chat);
}

TEST_CASE("bluesky: counts in batches of 25 and followers from the profile", "[bluesky][analytics]") {
  Bluesky b;
  Session s = b.session();
  std::vector<std::string> uris;
  for (int i = 0; i < 30; ++i) uris.push_back("at://did:plc:alice000000000000000000/app.bsky.feed.post/x" + std::to_string(i));
  b.fake.set_counts(uris[29], 5, 2, 1, 1);
  auto stats = b.provider->post_metrics(s, uris);
  CHECK(stats.size() == 30);
  CHECK(stats.back().likes == 5);
  CHECK(stats.back().quotes == 1);
  CHECK(b.sent("app.bsky.feed.getPosts").size() == 2);
  CHECK(b.provider->account_metrics(s).followers == 42);
}

TEST_CASE("bluesky: records and views recorded from the live network parse as crier expects", "[bluesky][recorded]") {
  auto dir = recorded_fixtures_dir() / "atproto-python/tests/test_atproto_client/models/test_data";
  auto post = json::parse(read_file(dir / "post_record.json"));
  CHECK(post["uri"].get<std::string>().rfind("at://did:plc:", 0) == 0);
  CHECK(post["value"]["$type"] == "app.bsky.feed.post");
  CHECK(json::parse(read_file(dir / "resolve_handle.json"))["did"].get<std::string>().rfind("did:plc:", 0) == 0);

  // A post view as the AppView sends it (getPosts / getPostThread share the shape).
  auto view = json::parse(read_file(dir / "thread_view_post_with_embed_media.json"))["thread"]["post"];
  std::string uri = view["uri"];
  FakeTransport http;
  http.expect("GET", "https://pds.example/xrpc/app.bsky.feed.getPosts?uris=" + url_encode(uri),
              [](const HttpRequest& q) { CHECK(q.headers.at(0).second == "Bearer acc"); },
              json_response(200, json{{"posts", json::array({view})}}.dump()));
  FixedClock clock{Timestamp{}};
  Config config = Config::defaults();
  TempDir tmp;
  ProviderEnv env{http, clock, config, tmp.path()};
  auto p = make_bluesky_provider(env);
  Session s;
  s.account.server = "https://pds.example";
  s.secret = R"({"did":"did:plc:me","accessJwt":"acc","refreshJwt":"ref"})";
  auto stats = p->post_metrics(s, {uri});
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].remote_id == uri);
  CHECK(stats[0].likes == view["likeCount"].get<int64_t>());
  CHECK(stats[0].reposts == view["repostCount"].get<int64_t>());
  CHECK(stats[0].replies == view["replyCount"].get<int64_t>());
  CHECK(stats[0].quotes == 0);  // absent in older views
}

TEST_CASE("bluesky: Open Graph tags make the link card", "[bluesky][card]") {
  auto card = bluesky::parse_open_graph(
      R"(<html><head><title>Fallback</title>
         <meta content="Crier &amp; friends" property="og:title">
         <meta property='og:description' content='Posting from the terminal'>
         <meta property="og:image" content="/img/card.png"></head><body>...</body></html>)",
      "https://example.com/blog/post");
  REQUIRE(card);
  CHECK(card->title == "Crier & friends");
  CHECK(card->description == "Posting from the terminal");
  CHECK(card->image_url == "https://example.com/img/card.png");
  auto plain = bluesky::parse_open_graph("<title>Just a title</title><meta name=\"description\" content=\"d\">", "https://x.org");
  REQUIRE(plain);
  CHECK(plain->title == "Just a title");
  CHECK(plain->description == "d");
  CHECK_FALSE(bluesky::parse_open_graph("<p>no head</p>", "https://x.org"));
}

TEST_CASE("bluesky: the first link gets a card with its thumb, unless --no-card or the page fails", "[bluesky][card]") {
  Bluesky b;
  LoopbackServer site;
  std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(200, '\x02');
  site.server().Get("/article", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"(<head><meta property="og:title" content="An article"><meta property="og:description" content="About things"><meta property="og:image" content="/thumb.png"></head>)",
                    "text/html");
  });
  site.server().Get("/thumb.png", [png](const httplib::Request&, httplib::Response& res) { res.set_content(png, "image/png"); });
  std::string base = site.start();
  Session s = b.session();

  b.provider->publish(s, {"k1", {{"read " + base + "/article", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")});
  auto embed = b.fake.our_posts().back()["value"]["embed"];
  CHECK(embed["$type"] == "app.bsky.embed.external");
  CHECK(embed["external"]["uri"] == base + "/article");
  CHECK(embed["external"]["title"] == "An article");
  CHECK(embed["external"]["description"] == "About things");
  CHECK(embed["external"]["thumb"]["mimeType"] == "image/png");
  CHECK(embed["external"]["thumb"]["size"] == png.size());

  PublishRequest no_card{"k2", {{"again " + base + "/article", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")};
  no_card.link_card = false;
  b.provider->publish(s, no_card);
  CHECK_FALSE(b.fake.our_posts().back()["value"].contains("embed"));

  auto r = b.provider->publish(s, {"k3", {{"gone " + base + "/missing", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")});
  CHECK_FALSE(r.parts.empty());  // the post went out, without a card
  CHECK_FALSE(b.fake.our_posts().back()["value"].contains("embed"));
}

TEST_CASE("bluesky: each part of a thread has its own createdAt, strictly later, with milliseconds", "[bluesky]") {
  // With one createdAt for all parts (".000"), the AppView listed a thread out of order.
  Bluesky b;
  Session s = b.session();
  PublishRequest q{"crier-order", {{"one", {}}, {"two", {}}, {"three", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")};
  b.provider->publish(s, q);
  auto creates = b.sent("com.atproto.repo.createRecord");
  REQUIRE(creates.size() == 3);
  std::vector<std::string> times;
  for (const auto& c : creates) times.push_back(json::parse(c.body)["record"]["createdAt"]);
  CHECK(times[0] == "2026-11-22T10:00:00.000Z");  // the pinned clock's second
  CHECK(times[1] == "2026-11-22T10:00:00.001Z");
  CHECK(times[2] == "2026-11-22T10:00:00.002Z");
  SystemClock real;
  auto precise = format_utc_ms(real.now_precise());
  CHECK(precise.size() == std::string("2026-11-22T10:00:00.000Z").size());
}

TEST_CASE("bluesky: a thread cut short is finished without writing its first parts again", "[bluesky][exactly-once]") {
  Bluesky b;
  Session s = b.session();
  PublishRequest q{"crier-cut", {{"one", {}}, {"two", {}}}, *parse_iso8601("2026-11-22T09:00:00Z")};
  PublishRequest first = q;
  first.parts.pop_back();
  b.provider->publish(s, first);  // part one made, then the worker died
  auto found = b.provider->reconcile(s, q);
  REQUIRE(found);
  REQUIRE(found->parts.size() == 1);
  q.already = found->parts;
  auto r = b.provider->publish(s, q);
  REQUIRE(r.parts.size() == 2);
  CHECK(r.parts[0].remote_id == found->parts[0].remote_id);
  CHECK(b.sent("com.atproto.repo.createRecord").size() == 2);  // one before, one now
  auto second = json::parse(b.sent("com.atproto.repo.createRecord").at(1).body);
  CHECK(second["record"]["reply"]["root"]["uri"] == found->parts[0].remote_id);
}

TEST_CASE("bluesky: a link that is a scheme twice keeps visible text (found by fuzzing: an empty facet)", "[bluesky][richtext]") {
  auto rt = bluesky::build_rich_text("see https://http:// now", resolve);
  REQUIRE(rt.facets.size() == 1);
  size_t start = rt.facets[0]["index"]["byteStart"], end = rt.facets[0]["index"]["byteEnd"];
  CHECK(start < end);
  CHECK(rt.text == "see http:// now");
  CHECK(bluesky::shorten_url("https://") == "https://");
}
