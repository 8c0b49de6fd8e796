// End to end against a loopback Instagram Graph API, with images through a real S3-compatible
// server (s3rver): connect through a Facebook Page, the rules checked before anything is stored,
// a JPEG posted, killed between publish and record, the quota, comments and DMs in their window.
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
#include "providers/instagram/testing/instagram_fake.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {
std::string iso_in(std::chrono::seconds from_now) {
  return format_utc(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + from_now);
}
}  // namespace

TEST_CASE("instagram: a Page's account, rules before storing, a JPEG through S3, a crash, the quota, DMs",
          "[e2e][instagram]") {
  S3Server s3;
  InstagramFake ig;
  ig.link_second_account();
  CrierHome h(CRIER_BINARY);
  h.env["AWS_SECRET_ACCESS_KEY"] = S3Server::k_secret_key;
  REQUIRE(h.run({"init"}).exit_code == 0);
  {
    std::ofstream cfg(h.config_file(), std::ios::app);
    cfg << "\n" << s3.config_toml();
  }
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.lease_seconds", "2"}).exit_code == 0);

  // Two Pages with linked accounts: which one is asked, naming both; then --ig-user picks (and
  // a --page without a linked account is refused). --page is not a flag for Threads.
  auto which = h.run({"accounts", "add", "instagram", "--server", ig.url(), "--secret-stdin"},
                     std::string(InstagramFake::k_user_token) + "\n");
  CHECK(which.exit_code == 2);
  CHECK_THAT(which.err, Catch::Contains("@crier_tester") && Catch::Contains("@crier_other") &&
                            Catch::Contains("--ig-user"));
  auto no_link = h.run({"accounts", "add", "instagram", "--server", ig.url(), "--secret-stdin", "--page", "EEEEEEEE"},
                       std::string(InstagramFake::k_user_token) + "\n");
  CHECK(no_link.exit_code == 2);
  CHECK_THAT(no_link.err, Catch::Contains("no Page EEEEEEEE with a linked Instagram account"));
  auto not_threads = h.run({"accounts", "add", "threads", "--page", "x", "--secret-stdin"}, "token\n");
  CHECK(not_threads.exit_code == 2);
  CHECK_THAT(not_threads.err, Catch::Contains("--page is not an option for threads") &&
                                  Catch::Contains("facebook") && Catch::Contains("instagram"));
  auto add = h.run({"accounts", "add", "instagram", "--server", ig.url(), "--secret-stdin", "--ig-user",
                    "crier_tester", "--alias", "ig"},
                   std::string(InstagramFake::k_user_token) + "\n");
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK(add.out.find("EAAfake") == std::string::npos);

  // Checked before anything is stored: an image is required, JPEG, at most 30 hashtags.
  auto text_only = h.run({"post", "just words", "--to", "ig"});
  CHECK(text_only.exit_code == 2);
  CHECK_THAT(text_only.err, Catch::Contains("need an image"));
  write_file_atomic(h.home() / "cat.png", test_png(500, 1080, 1080));
  auto png = h.run({"post", "a png", "--to", "ig", "--image", (h.home() / "cat.png").string(), "--alt", "x"});
  CHECK(png.exit_code == 2);
  CHECK_THAT(png.err, Catch::Contains("image/png"));
  write_file_atomic(h.home() / "cat.jpg", test_jpeg(800, 1080, 1350));
  std::string tags;
  for (int i = 0; i < 31; ++i) tags += "#tag" + std::to_string(i) + " ";
  auto many = h.run({"post", tags, "--to", "ig", "--image", (h.home() / "cat.jpg").string(), "--alt", "x"});
  CHECK(many.exit_code == 2);
  CHECK_THAT(many.err, Catch::Contains("31 hashtags"));
  write_file_atomic(h.home() / "wide.jpg", test_jpeg(800, 3000, 1000));
  auto wide = h.run({"post", "too wide", "--to", "ig", "--image", (h.home() / "wide.jpg").string(), "--alt", "x"});
  CHECK(wide.exit_code == 2);
  CHECK_THAT(wide.err, Catch::Contains("1.91"));
  CHECK(h.json({"queue", "list", "--all"})["deliveries"].empty());
  CHECK(ig.containers_made() == 0);

  auto posted = h.json({"post", "A cat #caturday", "--to", "ig", "--image", (h.home() / "cat.jpg").string(), "--alt",
                        "a cat on a windowsill"});
  INFO(posted.dump());
  REQUIRE(posted["deliveries"][0]["result"] == "published");
  REQUIRE(ig.our_media().size() == 1);
  CHECK(ig.our_media()[0]["alt_text"] == "a cat on a windowsill");
  CHECK(s3.object_count() == 1);

  // Killed while the publish answer is on its way: found by the container's status, not redone.
  REQUIRE(h.run({"schedule", "Second cat", "--to", "ig", "--image", (h.home() / "cat.jpg").string(), "--alt", "",
                 "--at", "now"})
              .exit_code == 0);
  ig.hold_next_publish(10'000);
  int pid = h.spawn({"publish", "--due"});
  for (int i = 0; i < 400 && ig.our_media().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{25});
  REQUIRE(ig.our_media().size() == 2);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds{3200});
  auto found = h.json({"publish", "--due"});
  INFO(found.dump());
  REQUIRE(found["deliveries"].size() == 1);
  CHECK(found["deliveries"][0]["result"] == "published");
  CHECK(found["deliveries"][0]["remote_id"] == ig.our_media()[1]["id"]);
  CHECK(ig.our_media().size() == 2);
  CHECK(ig.containers_made() == 2);

  // The 24-hour limit used up: exit 75, nothing made; later, it goes.
  ig.set_quota_used(25);
  auto quota =
      h.run({"post", "Third cat", "--to", "ig", "--image", (h.home() / "cat.jpg").string(), "--alt", "a third cat"});
  CHECK(quota.exit_code == 75);
  CHECK(ig.containers_made() == 2);
  ig.set_quota_used(3);
  auto later = h.json({"publish", "--due"}, {{"CRIER_NOW", iso_in(std::chrono::hours{2})}});
  REQUIRE(later["deliveries"].size() == 1);
  CHECK(later["deliveries"][0]["result"] == "published");

  // A comment and a DM come in; both are answered; a DM two days old only by a person.
  ig.add_comment(ig.our_media()[0]["id"], "ada", "so cute");
  ig.add_dm("linus", "do you sell prints?");
  REQUIRE(h.run({"poll"}).exit_code == 0);
  json inbox = h.json({"inbox", "list"});
  INFO(inbox.dump());
  int comment = 0, dm = 0;
  for (const auto& i : inbox["items"]) (i["kind"] == "dm" ? dm : comment) = i["id"].get<int>();
  REQUIRE(comment > 0);
  REQUIRE(dm > 0);
  CHECK(h.run({"inbox", "reply", std::to_string(comment), "Thank you!"}).exit_code == 0);
  REQUIRE(ig.our_comments().size() == 1);
  CHECK(h.run({"inbox", "hide", std::to_string(comment)}).exit_code == 0);
  CHECK(ig.hidden_comments() == 1);
  auto late = h.run({"inbox", "reply", std::to_string(dm), "Yes!"}, std::nullopt,
                    {{"CRIER_NOW", iso_in(std::chrono::hours{48})}});
  CHECK(late.exit_code == 2);
  CHECK_THAT(late.err, Catch::Contains("within 24 hours") && Catch::Contains("--human-agent"));
  CHECK(ig.our_messages().empty());
  auto person = h.run({"inbox", "reply", "--human-agent", std::to_string(dm), "Yes, a person here."}, std::nullopt,
                      {{"CRIER_NOW", iso_in(std::chrono::hours{48})}});
  INFO(person.out << person.err);
  CHECK(person.exit_code == 0);
  REQUIRE(ig.our_messages().size() == 1);
  CHECK(ig.our_messages()[0]["tag"] == "HUMAN_AGENT");
}
