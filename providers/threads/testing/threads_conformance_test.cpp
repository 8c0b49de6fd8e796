// The Threads provider against a loopback Threads API built from recorded bodies, with images
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
#include "providers/threads/testing/threads_fake.hpp"
#include "providers/threads/threads_provider.hpp"

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
  c.set_override("threads.container_wait_seconds", "5");
  return c;
}

class ThreadsFixture final : public ConformanceFixture {
 public:
  ThreadsFixture()
      : m_config(s3_config(m_s3)),
        m_http(make_curl_transport()),
        m_media(m_config, *m_http, m_clock),
        m_env{*m_http, m_clock, m_config, m_dir.path(), nullptr, &m_media},
        m_provider(make_threads_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"", m_fake.url(), m_fake.token()}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    for (const auto& p : m_fake.our_posts())
      if (!p.value("is_reply", false)) m_fake.add_reply(p["id"], "ada", "nice one");
    m_fake.add_mention("grace", "@crier_tester have you seen this?");
  }
  size_t posts_on_network() override { return m_fake.our_posts().size(); }
  std::string bad_secret() override {
    return json{{"access_token", "THQVJnot-a-real-token"}, {"user_id", ThreadsFake::k_user_id}}.dump();
  }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_publish();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

  S3Server m_s3;
  ThreadsFake m_fake;
  FixedClock m_clock{real_now()};

 private:
  TempDir m_dir;
  Config m_config;
  std::unique_ptr<Transport> m_http;
  MediaStores m_media;
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

// A session whose saved secret and a request whose progress are kept, as the engine keeps them.
struct Kept {
  Session session;
  std::string progress;
};

Session session_of(ThreadsFixture& f) {
  Connected c = f.provider().connect(f.good_connect());
  Session s;
  s.account.id = 1;
  s.account.network = "threads";
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

MediaItem image(ThreadsFixture& f, const std::string& name, size_t bytes, const std::string& alt = "") {
  auto path = f.scratch_dir() / name;
  write_file_atomic(path, test_png(bytes, 64, 48));
  return MediaItem{path.string(), alt, "image/png", static_cast<int64_t>(bytes), 64, 48};
}

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

std::vector<RecordedRequest> posts_to(ThreadsFake& fake, const std::string& suffix) {
  std::vector<RecordedRequest> out;
  for (const auto& r : fake.requests())
    if (r.method == "POST" && r.path.size() >= suffix.size() &&
        r.path.compare(r.path.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("threads passes the provider conformance suite", "[conformance][threads]") {
  ThreadsFixture f;
  run_provider_conformance(f);
}

TEST_CASE("threads: containers, images by URL, and never a second post", "[conformance][threads]") {
  ThreadsFixture f;
  Provider& p = f.provider();
  Session s = session_of(f);
  std::string progress;

  SECTION("an image goes up to the bucket once, by its content, and Threads fetches it from there") {
    auto q = request("img-1", {{"a picture", {image(f, "a.png", 500, "a test pattern")}}}, progress);
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    CHECK(f.m_s3.object_count() == 1);
    auto made = posts_to(f.m_fake, "/threads");
    REQUIRE(made.size() == 1);
    CHECK_THAT(made[0].body, Catch::Contains("media_type=IMAGE") && Catch::Contains("alt_text=a%20test%20pattern") &&
                                 Catch::Contains("X-Amz-Signature"));
    // The same bytes under another name: no second upload.
    std::string other;
    auto q2 = request("img-2", {{"the same picture", {image(f, "b.png", 500)}}}, other);
    p.publish(s, q2);
    CHECK(f.m_s3.object_count() == 1);
    CHECK(f.m_fake.our_posts().size() == 2);
  }

  SECTION("a carousel: one container per image with its alt text, then the carousel") {
    auto q = request("carousel", {{"three pictures", {image(f, "1.png", 300, "one"), image(f, "2.png", 310, "two"),
                                                       image(f, "3.png", 320, "three")}}},
                     progress);
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    CHECK(f.m_fake.containers_made() == 4);
    auto post = f.m_fake.our_posts().back();
    CHECK(post["media_type"] == "CAROUSEL_ALBUM");
    CHECK(post["children"]["data"].size() == 3);
    CHECK(f.m_s3.object_count() == 3);
  }

  SECTION("a thread is a chain of replies, each to the part before") {
    auto q = request("chain", {{"one", {}}, {"two", {}}, {"three", {}}}, progress);
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 3);
    auto posts = f.m_fake.our_posts();
    REQUIRE(posts.size() == 3);
    CHECK(posts[1]["replied_to"]["id"] == r.parts[0].remote_id);
    CHECK(posts[2]["replied_to"]["id"] == r.parts[1].remote_id);
    CHECK(posts[2]["root_post"]["id"] == r.parts[0].remote_id);
  }

  SECTION("stopped while Threads is still processing: the next attempt publishes the same container") {
    f.m_fake.set_processing_polls(1000);
    auto q = request("slow", {{"slow one", {}}}, progress);
    CHECK(kind_of([&] { p.publish(s, q); }) == ErrorKind::transient);
    CHECK(f.m_fake.containers_made() == 1);
    CHECK_FALSE(progress.empty());
    CHECK(f.m_fake.our_posts().empty());
    // The next run: reconcile sees a container never published, and publish goes on from it.
    f.m_fake.set_processing_polls(0);
    auto again = request("slow", {{"slow one", {}}}, progress);
    CHECK_FALSE(p.reconcile(s, again));
    auto r = p.publish(s, again);
    CHECK(f.m_fake.containers_made() == 1);
    REQUIRE(f.m_fake.our_posts().size() == 1);
    CHECK(r.parts[0].remote_id == f.m_fake.our_posts()[0]["id"]);
  }

  SECTION("published but the answer lost: reconcile reads the container, finds the post, sends nothing") {
    f.m_fake.lose_next_publish();
    auto q = request("lost", {{"lost answer", {}}}, progress);
    CHECK(kind_of([&] { p.publish(s, q); }) == ErrorKind::transient);
    REQUIRE(f.m_fake.our_posts().size() == 1);
    auto again = request("lost", {{"lost answer", {}}}, progress);
    auto found = p.reconcile(s, again);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == f.m_fake.our_posts()[0]["id"]);
    CHECK(f.m_fake.containers_made() == 1);
    CHECK(f.m_fake.our_posts().size() == 1);
  }

  SECTION("a recurring text: last week's post and another delivery's are not this one's") {
    f.m_fake.add_own_post("Weekly thread", 7 * 86400);
    auto q = request("weekly", {{"Weekly thread", {}}}, progress);
    CHECK_FALSE(p.reconcile(s, q));
    std::string mine = f.m_fake.add_own_post("Weekly thread", 0);
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == mine);
    q.taken = [&](const std::string& id) { return id == mine; };
    CHECK_FALSE(p.reconcile(s, q));
    // Same text with an image is another post.
    std::string other;
    auto with_image = request("weekly-img", {{"Weekly thread", {image(f, "w.png", 200)}}}, other);
    CHECK_FALSE(p.reconcile(s, with_image));
  }

  SECTION("a used-up quota is a wait until the oldest post of the window ages out, before anything is made") {
    f.m_fake.set_quota_used(250);
    f.m_fake.add_own_post("the oldest of the day", 20 * 3600);
    f.m_fake.add_own_post("a later one", 3600);
    auto q = request("quota", {{"too many", {}}}, progress);
    try {
      p.publish(s, q);
      FAIL("expected a rate limit");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::rate_limited);
      REQUIRE(e.retry_after().has_value());
      CHECK(e.retry_after()->count() > 4 * 3600 - 120);
      CHECK(e.retry_after()->count() < 4 * 3600 + 120);
      CHECK_THAT(e.what(), Catch::Contains("250 of 250") && Catch::Contains("room again at"));
    }
    CHECK(f.m_fake.containers_made() == 0);
  }

  SECTION("an image URL Threads cannot fetch is refused, and nothing is posted") {
    // A store that hands out an address nobody serves.
    Config c = Config::defaults();
    c.set_override("media.store", "command");
    c.set_override("media.upload_cmd", "echo http://127.0.0.1:9/nothing-here.png #");
    auto http = make_curl_transport();
    FixedClock clock{real_now()};
    MediaStores media(c, *http, clock);
    ProviderEnv env{*http, clock, c, f.scratch_dir(), nullptr, &media};
    auto other = make_threads_provider(env);
    auto q = request("private", {{"private picture", {image(f, "p.png", 200)}}}, progress);
    try {
      other->publish(s, q);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK_THAT(e.what(), Catch::Contains("could not be fetched"));
    }
    CHECK(f.m_fake.our_posts().empty());
  }

  SECTION("no media store: an image post says how to set one up") {
    Config c = Config::defaults();
    auto http = make_curl_transport();
    FixedClock clock{real_now()};
    MediaStores media(c, *http, clock);
    ProviderEnv env{*http, clock, c, f.scratch_dir(), nullptr, &media};
    auto other = make_threads_provider(env);
    try {
      other->publish(s, request("nostore", {{"pic", {image(f, "n.png", 200)}}}, progress));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::config);
      CHECK_THAT(e.hint(), Catch::Contains("media.store"));
    }
  }

  SECTION("a token near its end is refreshed and saved; an expired one pauses the account") {
    json sec = json::parse(s.secret);
    sec["issued_at"] = to_unix(real_now()) - 50 * 86400;
    sec["expires_at"] = to_unix(real_now()) + 10 * 86400;
    s.secret = sec.dump();
    std::string saved;
    s.save_secret = [&](const std::string& v) { saved = v; };
    int before = f.m_fake.refreshes();
    p.publish(s, request("refresh", {{"after a refresh", {}}}, progress));
    CHECK(f.m_fake.refreshes() == before + 1);
    REQUIRE_FALSE(saved.empty());
    CHECK(json::parse(saved)["access_token"] == f.m_fake.token());
    REQUIRE(p.token_expires_at(s));
    CHECK(*p.token_expires_at(s) > real_now() + std::chrono::hours{24 * 59});
    // Expired: a clear auth error, before anything is sent.
    sec = json::parse(s.secret);
    sec["expires_at"] = to_unix(real_now()) - 60;
    s.secret = sec.dump();
    try {
      p.publish(s, request("expired", {{"never sent", {}}}, progress));
      FAIL("expected an auth error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK_THAT(e.what(), Catch::Contains("expired on"));
      CHECK_THAT(e.hint(), Catch::Contains("crier accounts add threads"));
    }
    CHECK(f.m_fake.our_posts().size() == 1);
  }

  SECTION("a revoked token is an auth error with Meta's code") {
    f.m_fake.revoke();
    try {
      p.verify(s);
      FAIL("expected an auth error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK_THAT(e.what(), Catch::Contains("code 190"));
    }
  }

  SECTION("insights and followers come from the insights endpoints") {
    auto r = p.publish(s, request("m", {{"count me", {}}}, progress));
    f.m_fake.set_insights(r.parts[0].remote_id, 900, 40, 5, 3, 2);
    f.m_fake.set_followers(321);
    auto stats = p.post_metrics(s, {r.parts[0].remote_id});
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].likes == 40);
    CHECK(stats[0].replies == 5);
    CHECK(stats[0].reposts == 3);
    CHECK(stats[0].quotes == 2);
    CHECK(stats[0].views == 900);
    CHECK(p.account_metrics(s).followers == 321);
  }
}

}  // namespace crier::testing
