// End to end against a loopback Graph API for Pages: connect with a user token (the Page's token
// is kept), post text and a photo, die between post and record, answer a comment and a message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <thread>

#include "clock.hpp"
#include "fakes/images.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "providers/facebook/testing/facebook_fake.hpp"
#include "providers/threads/testing/threads_fake.hpp"

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
  // A user with four Pages: which one is asked, naming them; a Page not among them is refused;
  // --page picks by name.
  fb.manage_all_pages();
  auto which = h.run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin"},
                     std::string(FacebookFake::k_user_token) + "\n");
  CHECK(which.exit_code == 2);
  CHECK_THAT(which.err, Catch::Contains("several Pages") && Catch::Contains("BBBBBBBB (1234)") &&
                            Catch::Contains("--page"));
  auto wrong = h.run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin", "--page", "ZZZ"},
                     std::string(FacebookFake::k_user_token) + "\n");
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.err, Catch::Contains("no Page ZZZ"));
  CHECK(h.json({"accounts", "list"})["accounts"].empty());
  auto add = h.run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin", "--alias", "fb", "--page",
                    FacebookFake::k_page_name},
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

namespace {
std::string iso_in(std::chrono::seconds from_now) {
  return format_utc(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + from_now);
}
long long unix_in(std::chrono::seconds from_now) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch() +
                                                          from_now)
      .count();
}
}  // namespace

TEST_CASE("facebook: Facebook's own scheduling when asked, handed early, once, and never too late",
          "[e2e][facebook]") {
  using std::chrono::hours;
  using std::chrono::minutes;
  FacebookFake fb;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin", "--alias", "fb"},
                std::string(FacebookFake::k_user_token) + "\n")
              .exit_code == 0);

  // Two days ahead: handed to Facebook at once, scheduled for its time, not in the feed yet.
  std::string in_2_days = iso_in(hours{48});
  auto handed = h.run({"post", "Opening on Monday", "--to", "fb", "--at", in_2_days, "--opt", "native_schedule=true"});
  INFO(handed.out << handed.err);
  REQUIRE(handed.exit_code == 0);
  CHECK_THAT(handed.out + handed.err, Catch::Contains("own scheduling") && Catch::Contains("goes out at"));
  REQUIRE(fb.posts().size() == 1);
  CHECK(std::llabs(fb.posts()[0]["scheduled"].get<long long>() - unix_in(hours{48})) <= 2);
  // Nothing left to do for it: a cron run now sends nothing more.
  auto idle = h.json({"publish", "--due"});
  CHECK(idle.value("deliveries", json::array()).empty());
  CHECK(fb.posts().size() == 1);

  // Without the option a post --at waits in crier's queue, as always.
  REQUIRE(h.run({"post", "Plain scheduled", "--to", "fb", "--at", iso_in(hours{24 * 60})}).exit_code == 0);
  CHECK(fb.posts().size() == 1);

  // 40 days ahead: beyond the 28 crier hands over, so it waits, and a publish --due 13 days on
  // (27 before it) hands it over.
  auto far = h.run({"post", "Summer sale", "--to", "fb", "--at", iso_in(hours{24 * 40}), "--opt",
                    "native_schedule=true"});
  INFO(far.out << far.err);
  REQUIRE(far.exit_code == 0);
  CHECK_THAT(far.out + far.err, Catch::Contains("handed to its own scheduling from"));
  CHECK(fb.posts().size() == 1);
  CHECK(h.json({"publish", "--due"}, {{"CRIER_NOW", iso_in(hours{24 * 11})}}).value("deliveries", json::array()).empty());
  auto later = h.json({"publish", "--due"}, {{"CRIER_NOW", iso_in(hours{24 * 13})}});
  INFO(later.dump());
  REQUIRE(later["deliveries"].size() == 1);
  CHECK(later["deliveries"][0]["result"] == "published");
  CHECK(later["deliveries"][0]["native_schedule"] == true);
  REQUIRE(fb.posts().size() == 2);
  CHECK(fb.posts()[1]["message"] == "Summer sale");
  CHECK(fb.posts()[1]["scheduled"].get<long long>() > unix_in(hours{24 * 39}));

  // The answer lost after Facebook took it: the retry (at once, backoff 0) finds it among the
  // scheduled posts instead of handing it over twice.
  fb.lose_next_post();
  auto lost = h.json({"post", "Lost answer", "--to", "fb", "--at", iso_in(hours{72}), "--opt", "native_schedule=true"});
  INFO(lost.dump());
  REQUIRE(lost["deliveries"].size() == 1);
  CHECK(lost["deliveries"][0]["result"] == "published");
  CHECK(lost["deliveries"][0]["native_schedule"] == true);
  REQUIRE(fb.posts().size() == 3);
  CHECK(lost["deliveries"][0]["remote_id"] == fb.posts()[2]["id"]);
  CHECK(h.json({"publish", "--due"}).value("deliveries", json::array()).empty());
  CHECK(fb.posts().size() == 3);

  // Five minutes ahead is too soon for Facebook: crier's queue publishes it at its time.
  auto soon = h.run({"post", "Very soon", "--to", "fb", "--at", iso_in(minutes{5}), "--opt", "native_schedule=true"});
  INFO(soon.out << soon.err);
  CHECK(soon.exit_code == 0);
  CHECK_THAT(soon.out + soon.err, Catch::Contains("too soon for its own scheduling"));
  CHECK(fb.posts().size() == 3);
  auto at_time = h.json({"publish", "--due"}, {{"CRIER_NOW", iso_in(minutes{6})}});
  INFO(at_time.dump());
  bool sent = false;
  for (const auto& d : at_time["deliveries"])
    if (d["result"] == "published" && d["native_schedule"] == false) sent = true;
  CHECK(sent);
  REQUIRE(fb.posts().size() >= 4);
  CHECK(fb.posts()[3]["message"] == "Very soon");
  CHECK(fb.posts()[3]["scheduled"] == 0);
}

namespace {
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}
}  // namespace

TEST_CASE("meta: signing in with the browser through the user's own app, for a Page and for Threads",
          "[e2e][facebook][threads][auth]") {
  FacebookFake fb;
  ThreadsFake threads;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  std::map<std::string, std::optional<std::string>> browser = {
      {"BROWSER", "curl -sfL -o /dev/null"}, {"DISPLAY", std::nullopt}, {"WAYLAND_DISPLAY", std::nullopt}};
  for (const std::string net : {"facebook", "threads"}) {
    REQUIRE(h.run({"config", "set", net + ".app_id", FacebookFake::k_app_id}).exit_code == 0);
    REQUIRE(h.run({"config", "set", net + ".app_secret_cmd", std::string("echo ") + FacebookFake::k_app_secret})
                .exit_code == 0);
    REQUIRE(h.run({"config", "set", net + ".redirect_port", std::to_string(free_port())}).exit_code == 0);
  }
  auto page = h.run({"accounts", "add", "facebook", "--server", fb.url(), "--alias", "fb"}, std::nullopt, browser);
  INFO(page.out << page.err);
  REQUIRE(page.exit_code == 0);
  CHECK_THAT(page.err, Catch::Contains("dialog/oauth") && Catch::Contains("redirect_uri=http%3A%2F%2F127.0.0.1"));
  CHECK(h.json({"post", "Signed in with the browser", "--to", "fb"})["deliveries"][0]["result"] == "published");
  CHECK(fb.posts().size() == 1);

  auto th = h.run({"accounts", "add", "threads", "--server", threads.url(), "--alias", "th"}, std::nullopt, browser);
  INFO(th.out << th.err);
  REQUIRE(th.exit_code == 0);
  CHECK_THAT(h.run({"doctor"}).out, Catch::Matches("(.|\\n)*threads:crier_tester +ok +credentials work; token "
                                                    "expires [0-9T:-]+Z \\(in (59|60) days\\)(.|\\n)*"));
  CHECK(h.json({"post", "And on Threads", "--to", "th"})["deliveries"][0]["result"] == "published");
  CHECK(threads.our_posts().size() == 1);
  // Neither the app's secret nor a token is left anywhere but the secrets table.
  for (const auto& f : std::filesystem::recursive_directory_iterator(h.home())) {
    if (!f.is_regular_file() || f.path().extension() == ".db") continue;
    std::string text = crier::read_file(f.path());
    CHECK(text.find("EAAfake") == std::string::npos);
    CHECK(text.find("THQVJfake") == std::string::npos);
  }
  // A secret command that fails: said, before any browser is opened.
  REQUIRE(h.run({"config", "set", "threads.app_secret_cmd", "false"}).exit_code == 0);
  auto broken = h.run({"accounts", "add", "threads", "--server", threads.url()}, std::nullopt, browser);
  CHECK(broken.exit_code == 3);
  CHECK_THAT(broken.err, Catch::Contains("threads.app_secret_cmd failed"));
}
