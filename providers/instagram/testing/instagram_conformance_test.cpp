// The Instagram provider against a loopback Graph API built from recorded bodies, with images
// going through a real S3-compatible server (s3rver) that the fake fetches them from.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "fakes/s3_server.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "media/media_store.hpp"
#include "paths.hpp"
#include "providers/instagram/instagram_provider.hpp"
#include "providers/instagram/testing/instagram_fake.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;

Timestamp real_now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

Config s3_config(const S3Server& s3) {
  Config c = Config::defaults();
  c.set_override("media.store", "s3");
  c.set_override("media.s3_endpoint", s3.url());
  c.set_override("media.s3_bucket", S3Server::k_bucket);
  c.set_override("media.s3_path_style", "true");
  c.set_override("media.s3_access_key_id", S3Server::k_access_key);
  c.set_override("media.s3_secret_cmd", std::string("echo ") + S3Server::k_secret_key);
  c.set_override("instagram.container_wait_seconds", "3");
  return c;
}

class InstagramFixture final : public ConformanceFixture {
 public:
  InstagramFixture()
      : m_config(s3_config(m_s3)),
        m_http(make_curl_transport()),
        m_media(m_config, *m_http, m_clock),
        m_env{*m_http, m_clock, m_config, m_dir.path(), nullptr, &m_media},
        m_provider(make_instagram_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"", m_fake.url(), m_fake.ig_token()}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    for (const auto& m : m_fake.our_media()) m_fake.add_comment(m["id"], "ada", "nice one");
    m_fake.add_tag("grace", "with @crier_tester at the lake");
    m_fake.add_dm("linus", "quick question");
  }
  size_t posts_on_network() override {
    return m_fake.our_media().size() + m_fake.our_comments().size() + m_fake.our_messages().size();
  }
  std::string bad_secret() override {
    return json{{"access_token", "IGAAnot-a-real-token"}, {"login", "instagram"}, {"ig_user_id", InstagramFake::k_ig_id}}
        .dump();
  }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_publish();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

  S3Server m_s3;
  InstagramFake m_fake;
  FixedClock m_clock{real_now()};

 private:
  TempDir m_dir;
  Config m_config;
  std::unique_ptr<Transport> m_http;
  MediaStores m_media;
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

Session session_from(Provider& p, const Connected& c) {
  Session s;
  s.account.id = 1;
  s.account.network = "instagram";
  s.account.handle = c.handle;
  s.account.server = c.server;
  s.account.settings = c.settings;
  s.secret = c.secret;
  return s;
}

PublishRequest request(const std::string& key, std::vector<OutgoingPart> parts, std::string& progress) {
  PublishRequest q{key, std::move(parts)};
  q.progress = progress;
  q.save_progress = [&progress](const std::string& p) { progress = p; };
  q.attempt_started = real_now();
  q.not_before = q.attempt_started - std::chrono::minutes{2};
  return q;
}

MediaItem jpeg(InstagramFixture& f, const std::string& name, size_t bytes, const std::string& alt = "") {
  auto path = f.scratch_dir() / name;
  write_file_atomic(path, test_jpeg(bytes, 1080, 1080));
  return MediaItem{path.string(), alt, "image/jpeg", static_cast<int64_t>(bytes), 1080, 1080};
}

std::string error_of(const std::function<void()>& fn, ErrorKind* kind = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return std::string(e.what()) + " | " + e.hint();
  }
  return "no error";
}

}  // namespace

TEST_CASE("instagram passes the provider conformance suite", "[conformance][instagram]") {
  InstagramFixture f;
  run_provider_conformance(f);
}

TEST_CASE("instagram: both ways in, containers, the window for messages", "[conformance][instagram]") {
  InstagramFixture f;
  Provider& p = f.provider();
  std::string progress;

  SECTION("a Facebook user token: the Page's linked account is taken, with the Page's token") {
    Connected c = p.connect({"", f.m_fake.url(), InstagramFake::k_user_token});
    CHECK(c.handle == "crier_tester");
    json sec = json::parse(c.secret);
    CHECK(sec["access_token"] == InstagramFake::k_page_token);
    CHECK(sec["page_id"] == InstagramFake::k_page_id);
    CHECK_FALSE(p.token_expires_at(session_from(p, c)));  // a Page token does not run out
    Session s = session_from(p, c);
    CHECK_NOTHROW(p.verify(s));
    // Two linked accounts: which one is asked, with the choices.
    f.m_fake.link_second_account();
    ErrorKind kind{};
    std::string e = error_of([&] { p.connect({"", f.m_fake.url(), InstagramFake::k_user_token}); }, &kind);
    CHECK(kind == ErrorKind::usage);
    CHECK_THAT(e, Catch::Contains("@crier_tester (Page") && Catch::Contains("@crier_other"));
    CHECK(p.connect({"@crier_other", f.m_fake.url(), InstagramFake::k_user_token}).handle == "crier_other");
  }

  SECTION("an Instagram Login token: its expiry learnt by a refresh") {
    Connected c = p.connect(f.good_connect());
    Session s = session_from(p, c);
    REQUIRE(p.token_expires_at(s));
    CHECK(*p.token_expires_at(s) > real_now() + std::chrono::hours{24 * 59});
    CHECK(f.m_fake.refreshes() == 1);
  }

  Session s = session_from(p, p.connect(f.good_connect()));

  SECTION("a carousel: an item per image with alt text, then the carousel, fetched from the bucket") {
    auto q = request("c", {{"three #cats", {jpeg(f, "1.jpg", 300, "one"), jpeg(f, "2.jpg", 310), jpeg(f, "3.jpg", 320)}}},
                     progress);
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    CHECK(f.m_fake.containers_made() == 4);
    auto m = f.m_fake.our_media().back();
    CHECK(m["media_type"] == "CAROUSEL_ALBUM");
    CHECK(m["caption"] == "three #cats");
    CHECK(f.m_s3.object_count() == 3);
  }

  SECTION("PNG is refused by Instagram when it fetches it, and nothing is posted") {
    auto path = f.scratch_dir() / "x.png";
    write_file_atomic(path, test_png(300, 64, 64));
    ErrorKind kind{};
    std::string e = error_of(
        [&] { p.publish(s, request("png", {{"png", {MediaItem{path.string(), "", "image/png", 300, 64, 64}}}}, progress)); },
        &kind);
    CHECK(kind == ErrorKind::invalid_input);
    CHECK_THAT(e, Catch::Contains("9004"));
    CHECK(f.m_fake.our_media().empty());
  }

  SECTION("still processing: the next attempt publishes the same container; published: found, not redone") {
    f.m_fake.set_processing_polls(1000);
    auto q = request("slow", {{"slow", {jpeg(f, "s.jpg", 300)}}}, progress);
    ErrorKind kind{};
    error_of([&] { p.publish(s, q); }, &kind);
    CHECK(kind == ErrorKind::transient);
    CHECK(f.m_fake.containers_made() == 1);
    f.m_fake.set_processing_polls(0);
    auto again = request("slow", {{"slow", {jpeg(f, "s.jpg", 300)}}}, progress);
    CHECK_FALSE(p.reconcile(s, again));
    f.m_fake.lose_next_publish();
    error_of([&] { p.publish(s, again); }, &kind);
    CHECK(kind == ErrorKind::transient);
    REQUIRE(f.m_fake.our_media().size() == 1);
    auto third = request("slow", {{"slow", {jpeg(f, "s.jpg", 300)}}}, progress);
    auto found = p.reconcile(s, third);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == f.m_fake.our_media()[0]["id"]);
    CHECK(f.m_fake.containers_made() == 1);
    // The same caption last week is not this post.
    f.m_fake.add_own_media("weekly", 7 * 86400);
    std::string other;
    CHECK_FALSE(p.reconcile(s, request("weekly", {{"weekly", {jpeg(f, "w.jpg", 300)}}}, other)));
  }

  SECTION("the publishing limit used up is a wait, before anything is made") {
    f.m_fake.set_quota_used(25);
    ErrorKind kind{};
    std::string e = error_of([&] { p.publish(s, request("q", {{"q", {jpeg(f, "q.jpg", 300)}}}, progress)); }, &kind);
    CHECK(kind == ErrorKind::rate_limited);
    CHECK_THAT(e, Catch::Contains("25 of 25"));
    CHECK(f.m_fake.containers_made() == 0);
  }

  SECTION("a DM is answered inside 24 hours; after, only a person with HUMAN_AGENT, up to 7 days") {
    f.m_fake.add_dm("ada", "hello?", 0);
    auto page = p.fetch_inbox(s, InboxStream::dms, "");
    REQUIRE(page.items.size() == 1);
    RemoteItem dm = page.items[0];
    CHECK(dm.kind == "dm");
    CHECK(p.reply(s, dm, "Hi Ada", "k1").remote_id.size() > 0);
    CHECK(f.m_fake.our_messages().back()["messaging_type"] == "RESPONSE");
    // Two days later (crier's clock): refused before sending.
    f.m_clock.advance(std::chrono::hours{48});
    ErrorKind kind{};
    std::string e = error_of([&] { p.reply(s, dm, "late", "k2"); }, &kind);
    CHECK(kind == ErrorKind::invalid_input);
    CHECK_THAT(e, Catch::Contains("within 24 hours") && Catch::Contains("--human-agent"));
    CHECK(f.m_fake.our_messages().size() == 1);
    RemoteItem human = dm;
    human.meta = json{{"sender_id", "IGSID-ada"}, {"human_agent", true}}.dump();
    // The fake's own clock is real time: its window is open, and the tag is sent.
    p.reply(s, human, "A person here", "k3");
    CHECK(f.m_fake.our_messages().back()["tag"] == "HUMAN_AGENT");
    f.m_clock.advance(std::chrono::hours{24 * 7});
    error_of([&] { p.reply(s, human, "too late", "k4"); }, &kind);
    CHECK(kind == ErrorKind::invalid_input);
    CHECK(f.m_fake.our_messages().size() == 2);
  }

  SECTION("a reply to a reply goes under the top-level comment") {
    auto r = p.publish(s, request("cm", {{"comment here", {jpeg(f, "cm.jpg", 300)}}}, progress));
    std::string top = f.m_fake.add_comment(r.parts[0].remote_id, "ada", "first");
    f.m_fake.add_comment(top, "grace", "second, under it");
    auto page = p.fetch_inbox(s, InboxStream::replies, "");
    REQUIRE(page.items.size() == 2);
    const RemoteItem& nested = page.items[1];
    CHECK(nested.kind == "reply");
    CHECK(nested.parent_remote_id == top);
    p.reply(s, nested, "@grace thanks", "k");
    REQUIRE(f.m_fake.our_comments().size() == 1);
    CHECK(f.m_fake.our_comments()[0]["parent"] == top);
  }

  SECTION("insights and the account's counts") {
    auto r = p.publish(s, request("m", {{"count", {jpeg(f, "m.jpg", 300)}}}, progress));
    f.m_fake.set_counts(r.parts[0].remote_id, 12, 3, 2, 400);
    auto stats = p.post_metrics(s, {r.parts[0].remote_id});
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].likes == 12);
    CHECK(stats[0].replies == 3);
    CHECK(stats[0].reposts == 2);
    CHECK(stats[0].views == 400);
    auto a = p.account_metrics(s);
    CHECK(a.followers == 64363);  // the recorded account's
    CHECK(a.posts == 427);
  }
}

TEST_CASE("instagram's rules: media required, caption limits, JPEG and aspect, checked before sending",
          "[conformance][instagram]") {
  InstagramFixture f;
  TextRules r = f.provider().text_rules(Account{});
  CHECK(r.media_required);
  CHECK(r.max_length == 2200);
  std::string tags;
  for (int i = 0; i < 31; ++i) tags += "#t" + std::to_string(i) + " ";
  CHECK_THAT(r.check_text(tags), Catch::Contains("31 hashtags"));
  CHECK(r.check_text("#one #two and a c#sharp, issue #12").empty());
  std::string names;
  for (int i = 0; i < 21; ++i) names += "@u" + std::to_string(i) + " ";
  CHECK_THAT(r.check_text(names), Catch::Contains("21 accounts"));
  CHECK(r.check_text("mail me at a@b.example").empty());
}

}  // namespace crier::testing
