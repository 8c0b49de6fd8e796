// End to end against a loopback Threads, with images through a real S3-compatible server
// (s3rver): connect with a token, post text and an image, die between container and publish and
// between publish and record, hit the quota, refresh a token near its end, answer a reply.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "clock.hpp"
#include "fakes/images.hpp"
#include "fakes/s3_server.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "providers/threads/testing/threads_fake.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

std::string iso_in(std::chrono::seconds from_now) {
  return format_utc(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + from_now);
}

void wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{25});
}

void kill_and_wait(int pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

TEST_CASE("threads: text and an image through S3, crashes on both sides of publish, quota, refresh, a reply",
          "[e2e][threads]") {
  S3Server s3;
  ThreadsFake threads;
  CrierHome h(CRIER_BINARY);
  h.env["AWS_SECRET_ACCESS_KEY"] = S3Server::k_secret_key;
  REQUIRE(h.run({"init"}).exit_code == 0);
  {
    std::ofstream cfg(h.config_file(), std::ios::app);
    cfg << "\n" << s3.config_toml();
  }
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.lease_seconds", "2"}).exit_code == 0);

  // A token made minutes ago cannot be refreshed yet (Threads wants it a day old): its life is
  // taken from now.
  threads.allow_refresh(false);
  auto add = h.run({"accounts", "add", "threads", "--server", threads.url(), "--secret-stdin", "--alias", "th"},
                   threads.token() + "\n");
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK_THAT(add.out, Catch::Contains("threads:crier_tester"));
  CHECK(add.out.find("THQVJ") == std::string::npos);

  // doctor: the token's expiry and the bucket.
  auto doctor = h.run({"doctor"});
  INFO(doctor.out << doctor.err);
  CHECK_THAT(doctor.out, Catch::Contains("token expires") && Catch::Matches("(.|\n)*in (59|60) days(.|\n)*"));
  CHECK_THAT(doctor.out, Catch::Contains("s3 bucket crier-media") && Catch::Contains("answers"));

  // Over 500 characters: refused before anything is stored or sent.
  auto too_long = h.run({"post", std::string(501, 'x'), "--to", "th"});
  CHECK(too_long.exit_code == 2);
  CHECK_THAT(too_long.err, Catch::Contains("500"));

  // Text and an image: the image goes to the bucket, Threads fetches it from there.
  write_file_atomic(h.home() / "cat.png", test_png(900, 640, 480));
  auto posted = h.json({"post", "A cat, for the record", "--to", "th", "--image", (h.home() / "cat.png").string(),
                        "--alt", "a grey cat"});
  INFO(posted.dump());
  REQUIRE(posted["deliveries"][0]["result"] == "published");
  REQUIRE(threads.our_posts().size() == 1);
  CHECK(threads.our_posts()[0]["media_type"] == "IMAGE");
  CHECK(posted["deliveries"][0]["remote_id"] == threads.our_posts()[0]["id"]);
  CHECK(s3.object_count() == 1);

  // Killed while Threads is still processing the container: the next run publishes that one.
  REQUIRE(h.run({"config", "set", "threads.container_wait_seconds", "30"}).exit_code == 0);
  threads.set_processing_polls(1'000'000);
  REQUIRE(h.run({"schedule", "Slow to process", "--to", "th", "--at", "now"}).exit_code == 0);
  size_t containers = threads.containers_made();
  int pid = h.spawn({"publish", "--due"});
  wait_for([&] { return threads.containers_made() == containers + 1; });
  REQUIRE(threads.containers_made() == containers + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds{300});  // polling the status now
  kill_and_wait(pid);
  threads.set_processing_polls(0);
  std::this_thread::sleep_for(std::chrono::milliseconds{3200});  // the lease runs out
  auto resumed = h.json({"publish", "--due"});
  INFO(resumed.dump());
  REQUIRE(resumed["deliveries"].size() == 1);
  CHECK(resumed["deliveries"][0]["result"] == "published");
  CHECK(threads.containers_made() == containers + 1);  // the same container, not a second one
  REQUIRE(threads.our_posts().size() == 2);

  // Killed while the publish answer is on its way: the post exists, crier has not recorded it.
  REQUIRE(h.run({"schedule", "Answer lost on the way", "--to", "th", "--at", "now"}).exit_code == 0);
  threads.hold_next_publish(10'000);
  pid = h.spawn({"publish", "--due"});
  wait_for([&] { return threads.our_posts().size() == 3; });
  REQUIRE(threads.our_posts().size() == 3);
  kill_and_wait(pid);
  std::this_thread::sleep_for(std::chrono::milliseconds{3200});
  auto found = h.json({"publish", "--due"});
  INFO(found.dump());
  REQUIRE(found["deliveries"].size() == 1);
  CHECK(found["deliveries"][0]["result"] == "published");
  CHECK(found["deliveries"][0]["remote_id"] == threads.our_posts()[2]["id"]);
  CHECK(threads.our_posts().size() == 3);  // found, not sent twice

  // The 24-hour quota used up: a wait (exit 75), retried after it.
  threads.set_quota_used(250);
  auto quota = h.run({"post", "Over the quota", "--to", "th"});
  INFO(quota.out << quota.err);
  CHECK(quota.exit_code == 75);
  CHECK_THAT(quota.out + quota.err, Catch::Contains("250 of 250"));
  CHECK(threads.our_posts().size() == 3);
  threads.set_quota_used(10);
  auto later = h.json({"publish", "--due"}, {{"CRIER_NOW", iso_in(std::chrono::hours{2})}});
  INFO(later.dump());
  REQUIRE(later["deliveries"].size() == 1);
  CHECK(later["deliveries"][0]["result"] == "published");
  CHECK(threads.our_posts().size() == 4);

  // 50 days on, 10 left: the token is refreshed, saved, and the next call uses the new one.
  threads.allow_refresh(true);
  auto in_50_days = iso_in(std::chrono::hours{24 * 50});
  CHECK(h.run({"accounts", "check", "th"}, std::nullopt, {{"CRIER_NOW", in_50_days}}).exit_code == 0);
  CHECK(threads.refreshes() == 1);
  auto after = h.json({"post", "After the refresh", "--to", "th"}, {{"CRIER_NOW", in_50_days}});
  CHECK(after["deliveries"][0]["result"] == "published");
  // A week before an end that cannot be refreshed away, doctor says so.
  threads.allow_refresh(false);
  auto warned = h.run({"doctor"}, std::nullopt, {{"CRIER_NOW", iso_in(std::chrono::hours{24 * 105})}});
  CHECK_THAT(warned.out, Catch::Contains("could not be refreshed"));
  // ... and so does publishing, once per account, beside a post that went out.
  auto late = h.run({"post", "Nearly out of time", "--to", "th"}, std::nullopt,
                    {{"CRIER_NOW", iso_in(std::chrono::hours{24 * 105})}});
  INFO(late.out << late.err);
  CHECK(late.exit_code == 0);
  CHECK_THAT(late.err, Catch::Contains("could not be refreshed") && Catch::Contains("accounts add threads"));
  auto late_json = h.json({"post", "Still nearly out of time", "--to", "th"},
                          {{"CRIER_NOW", iso_in(std::chrono::hours{24 * 105})}});
  CHECK_THAT(late_json["deliveries"][0].value("warning", ""), Catch::Contains("expires"));
  // Past it: the account pauses with a reconnect hint (exit 4), nothing is sent.
  size_t before = threads.our_posts().size();
  auto expired = h.run({"post", "Too late", "--to", "th"}, std::nullopt,
                       {{"CRIER_NOW", iso_in(std::chrono::hours{24 * 120})}});
  CHECK(expired.exit_code == 4);
  CHECK_THAT(expired.out + expired.err, Catch::Contains("expired on") && Catch::Contains("accounts add threads"));
  CHECK(threads.our_posts().size() == before);
}

TEST_CASE("threads: replies to our posts come in and are answered in their conversation", "[e2e][threads]") {
  ThreadsFake threads;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "threads", "--server", threads.url(), "--secret-stdin", "--alias", "th"},
                threads.token() + "\n")
              .exit_code == 0);
  auto posted = h.json({"post", "Ask me anything", "--to", "th"});
  REQUIRE(posted["deliveries"][0]["result"] == "published");
  std::string root = threads.our_posts()[0]["id"];
  threads.add_reply(root, "ada", "What is crier?");
  threads.add_mention("grace", "@crier_tester is great");
  REQUIRE(h.run({"poll"}).exit_code == 0);
  json inbox = h.json({"inbox", "list"});
  INFO(inbox.dump());
  REQUIRE(inbox["items"].size() == 2);
  json reply_item;
  for (const auto& i : inbox["items"])
    if (i["kind"] == "reply") reply_item = i;
  REQUIRE(reply_item.is_object());
  CHECK(reply_item["author"] == "ada");
  auto answered = h.run({"inbox", "reply", std::to_string(reply_item["id"].get<int>()), "A CLI for posting."});
  INFO(answered.out << answered.err);
  CHECK(answered.exit_code == 0);
  auto ours = threads.our_posts();
  REQUIRE(ours.size() == 2);
  CHECK(ours[1]["text"] == "A CLI for posting.");
  CHECK(ours[1]["replied_to"]["id"] != root);  // to ada's reply, not our post
  // Ada's reply hidden from others, and shown again; a mention is not ours to hide.
  std::string ada = reply_item["remote_id"];
  CHECK(h.run({"inbox", "hide", std::to_string(reply_item["id"].get<int>())}).exit_code == 0);
  CHECK(threads.hidden().count(ada) == 1);
  CHECK(h.run({"inbox", "hide", "--undo", std::to_string(reply_item["id"].get<int>())}).exit_code == 0);
  CHECK(threads.hidden().count(ada) == 0);
  for (const auto& i : inbox["items"])
    if (i["kind"] == "mention") {
      auto refused = h.run({"inbox", "hide", std::to_string(i["id"].get<int>())});
      CHECK(refused.exit_code != 0);
      CHECK_THAT(refused.err, Catch::Contains("replies to our posts only"));
    }
  // Nothing new: a second poll adds nothing.
  REQUIRE(h.run({"poll"}).exit_code == 0);
  CHECK(h.json({"inbox", "list", "--all"})["items"].size() == 2);
}
