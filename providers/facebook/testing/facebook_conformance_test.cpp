// The Facebook Pages provider against a loopback Graph API built from recorded bodies.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "paths.hpp"
#include "providers/facebook/facebook_provider.hpp"
#include "providers/facebook/testing/facebook_fake.hpp"

namespace crier::testing {
namespace {

using nlohmann::json;

Timestamp real_now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

class FacebookFixture final : public ConformanceFixture {
 public:
  FacebookFixture()
      : m_http(make_curl_transport()),
        m_env{*m_http, m_clock, m_config, m_dir.path()},
        m_provider(make_facebook_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"", m_fake.url(), FacebookFake::k_user_token}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    for (const auto& p : m_fake.posts()) m_fake.add_comment(p["id"], "Ada", "nice one");
    m_fake.add_message("Linus", "quick question");
  }
  size_t posts_on_network() override {
    return m_fake.posts().size() + m_fake.our_comments().size() + m_fake.our_messages().size();
  }
  std::string bad_secret() override {
    return json{{"access_token", "EAAnot-a-real-token"}, {"page_id", FacebookFake::k_page_id}}.dump();
  }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_post();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

  FacebookFake m_fake;
  FixedClock m_clock{real_now()};

 private:
  TempDir m_dir;
  Config m_config = Config::defaults();
  std::unique_ptr<Transport> m_http;
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

Session session_of(FacebookFixture& f) {
  Connected c = f.provider().connect(f.good_connect());
  Session s;
  s.account.id = 1;
  s.account.network = "facebook";
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

MediaItem photo(FacebookFixture& f, const std::string& name, size_t bytes, const std::string& alt = "") {
  auto path = f.scratch_dir() / name;
  write_file_atomic(path, test_png(bytes, 64, 48));
  return MediaItem{path.string(), alt, "image/png", static_cast<int64_t>(bytes), 64, 48};
}

}  // namespace

TEST_CASE("facebook passes the provider conformance suite", "[conformance][facebook]") {
  FacebookFixture f;
  run_provider_conformance(f);
}

TEST_CASE("facebook: the Page and its token, photos, reconcile by the feed, messages in the window",
          "[conformance][facebook]") {
  FacebookFixture f;
  Provider& p = f.provider();
  std::string progress;
  Session s = session_of(f);

  SECTION("the user's Page is taken, with the Page's own token; a Page token works as well") {
    json sec = json::parse(s.secret);
    CHECK(sec["access_token"] == f.m_fake.page_token());
    CHECK(sec["page_id"] == FacebookFake::k_page_id);
    Connected direct = p.connect({"", f.m_fake.url(), f.m_fake.page_token()});
    CHECK(json::parse(direct.secret)["page_id"] == FacebookFake::k_page_id);
    CHECK_THROWS_AS(p.connect({"NoSuchPage", f.m_fake.url(), FacebookFake::k_user_token}), Error);
  }

  SECTION("one photo is uploaded with its caption; several are uploaded unpublished and attached") {
    auto one = p.publish(s, request("one", {{"a photo", {photo(f, "a.png", 300, "a test card")}}}, progress));
    REQUIRE(f.m_fake.posts().size() == 1);
    CHECK(f.m_fake.posts()[0]["photos"].size() == 1);
    CHECK(f.m_fake.photos()[0]["alt_text_custom"] == "a test card");
    CHECK(one.parts[0].remote_id == f.m_fake.posts()[0]["id"]);
    std::string more;
    auto three = p.publish(
        s,
        request("three",
                {{"three photos", {photo(f, "1.png", 300), photo(f, "2.png", 310), photo(f, "3.png", 320)}}},
                more));
    REQUIRE(f.m_fake.posts().size() == 2);
    CHECK(f.m_fake.posts()[1]["photos"].size() == 3);
    CHECK(json::parse(more)["parts"][0]["children"].size() == 3);
    // Reconcile tells them apart by the photos, not only the text.
    std::string none;
    auto q = request(
        "three", {{"three photos", {photo(f, "1.png", 300), photo(f, "2.png", 310), photo(f, "3.png", 320)}}},
        none);
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == three.parts[0].remote_id);
    CHECK_FALSE(p.reconcile(s, request("x", {{"three photos", {}}}, none)));
  }

  SECTION("a retry after the album's uploads does not upload them again") {
    std::string kept;
    auto q = request("album", {{"album", {photo(f, "1.png", 300), photo(f, "2.png", 310)}}}, kept);
    f.m_fake.lose_next_post();
    CHECK_THROWS(p.publish(s, q));
    size_t uploads = f.m_fake.photos().size();
    CHECK(uploads == 2);
    REQUIRE(p.reconcile(
        s, request("album", {{"album", {photo(f, "1.png", 300), photo(f, "2.png", 310)}}}, kept)));
    CHECK(f.m_fake.posts().size() == 1);
  }

  SECTION("handed to Facebook's own scheduling: scheduled for its time, found among the scheduled posts") {
    REQUIRE(p.native_scheduling());
    CHECK(p.native_scheduling()->min_lead >= std::chrono::minutes{10});
    Timestamp at = real_now() + std::chrono::hours{50};
    auto q = request("later", {{"Later on", {}}}, progress);
    q.schedule_at = at;
    f.m_fake.add_own_post("Later on", 0);  // the same words, posted by hand just now
    auto made = p.publish(s, q);
    REQUIRE(f.m_fake.posts().size() == 2);
    CHECK(f.m_fake.posts()[1]["scheduled"] == to_unix(at));
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == made.parts[0].remote_id);
    // Another time, or taken by another delivery: not this one's - and the post in the feed,
    // however alike, is never a scheduled delivery's.
    auto other = q;
    other.schedule_at = at + std::chrono::hours{1};
    CHECK_FALSE(p.reconcile(s, other));
    auto taken = q;
    taken.taken = [&](const std::string& id) { return id == made.parts[0].remote_id; };
    CHECK_FALSE(p.reconcile(s, taken));
    // A photo scheduled the same way.
    auto pq = request("photo later", {{"A photo later", {photo(f, "later.png", 300)}}}, progress);
    pq.schedule_at = at;
    p.publish(s, pq);
    REQUIRE(f.m_fake.posts().size() == 3);
    CHECK(f.m_fake.posts()[2]["scheduled"] == to_unix(at));
    // Too soon for Facebook: its refusal is the post's, not a reason to retry.
    auto soon = request("soon", {{"Soon", {}}}, progress);
    soon.schedule_at = real_now() + std::chrono::minutes{2};
    try {
      p.publish(s, soon);
      FAIL("a time 2 minutes ahead was taken");
    } catch (const Error& e) {
      CHECK_FALSE(is_retryable(e.kind()));
    }
  }

  SECTION("a recurring text: last week's post is not this one's") {
    f.m_fake.add_own_post("Weekly update", 7 * 86400);
    CHECK_FALSE(p.reconcile(s, request("w", {{"Weekly update", {}}}, progress)));
  }

  SECTION("a message is answered inside 24 hours, refused after, a person may with HUMAN_AGENT") {
    f.m_fake.add_message("Ada", "are you open today?");
    auto page = p.fetch_inbox(s, InboxStream::dms, "");
    REQUIRE(page.items.size() == 1);
    RemoteItem dm = page.items[0];
    CHECK(dm.author_name == "Ada");
    p.reply(s, dm, "Yes, until 6", "k");
    REQUIRE(f.m_fake.our_messages().size() == 1);
    f.m_clock.advance(std::chrono::hours{30});
    CHECK_THROWS_WITH(p.reply(s, dm, "late", "k2"), Catch::Contains("within 24 hours"));
    dm.meta = json{{"sender_id", "PSID-Ada"}, {"human_agent", true}}.dump();
    p.reply(s, dm, "A person here", "k3");
    CHECK(f.m_fake.our_messages().back()["tag"] == "HUMAN_AGENT");
  }

  SECTION("counts: reactions, comments, shares and impressions") {
    auto r = p.publish(s, request("m", {{"count me", {}}}, progress));
    f.m_fake.set_counts(r.parts[0].remote_id, 9, 4, 2, 300);
    auto st = p.post_metrics(s, {r.parts[0].remote_id});
    REQUIRE(st.size() == 1);
    CHECK(st[0].likes == 9);
    CHECK(st[0].replies == 4);
    CHECK(st[0].reposts == 2);
    CHECK(st[0].views == 300);
    CHECK(p.account_metrics(s).followers == 1200);
  }
}

}  // namespace crier::testing
