// End to end against a loopback Graph API for Pages: connect with a user token (the Page's token
// is kept), post text and a photo, die between post and record, answer a comment and a message.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <thread>

#include "clock.hpp"
#include "fakes/images.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "providers/facebook/testing/facebook_fake.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

TEST_CASE("facebook: a Page's posts with a photo, killed between post and record, comments and messages",
          "[e2e][facebook]") {
  FacebookFake fb;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.lease_seconds", "2"}).exit_code == 0);
  auto add = h.run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin", "--alias", "fb"},
                   std::string(FacebookFake::k_user_token) + "\n");
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK(add.out.find("EAAfake") == std::string::npos);

  write_file_atomic(h.home() / "card.png", test_png(700, 1200, 630));
  auto posted = h.json({"post", "Open day on Saturday", "--to", "fb", "--image", (h.home() / "card.png").string(),
                        "--alt", "The shop front"});
  INFO(posted.dump());
  REQUIRE(posted["deliveries"][0]["result"] == "published");
  REQUIRE(fb.posts().size() == 1);
  CHECK(fb.posts()[0]["photos"].size() == 1);

  // Killed while the answer is on its way: the feed shows the post, crier records it once.
  REQUIRE(h.run({"schedule", "Doors open at 10", "--to", "fb", "--at", "now"}).exit_code == 0);
  fb.hold_next_post(10'000);
  int pid = h.spawn({"publish", "--due"});
  for (int i = 0; i < 400 && fb.posts().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{25});
  REQUIRE(fb.posts().size() == 2);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds{3200});
  auto found = h.json({"publish", "--due"});
  INFO(found.dump());
  REQUIRE(found["deliveries"].size() == 1);
  CHECK(found["deliveries"][0]["result"] == "published");
  CHECK(found["deliveries"][0]["remote_id"] == fb.posts()[1]["id"]);
  CHECK(fb.posts().size() == 2);

  fb.add_comment(fb.posts()[0]["id"], "Ada", "What time?");
  fb.add_message("Linus", "Is there parking?");
  REQUIRE(h.run({"poll"}).exit_code == 0);
  json inbox = h.json({"inbox", "list"});
  INFO(inbox.dump());
  int comment = 0, dm = 0;
  for (const auto& i : inbox["items"]) (i["kind"] == "dm" ? dm : comment) = i["id"].get<int>();
  REQUIRE(comment > 0);
  REQUIRE(dm > 0);
  CHECK(h.run({"inbox", "reply", std::to_string(comment), "From 10 to 4."}).exit_code == 0);
  CHECK(fb.our_comments().size() == 1);
  auto late = h.run({"inbox", "reply", std::to_string(dm), "Yes"}, std::nullopt,
                    {{"CRIER_NOW", format_utc(std::chrono::time_point_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now()) +
                                              std::chrono::hours{30})}});
  CHECK(late.exit_code == 2);
  CHECK(fb.our_messages().empty());
  CHECK(h.run({"inbox", "reply", std::to_string(dm), "Yes, behind the shop."}).exit_code == 0);
  CHECK(fb.our_messages().size() == 1);
}
