// End to end against a loopback Reddit: connect a script app, post with a title, subreddit and
// flair, die between submit and record, and reconcile without a duplicate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "providers/reddit/testing/reddit_fake.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

TEST_CASE("reddit: a titled post to a subreddit with flair, killed between submit and record, posted once",
          "[e2e][reddit]") {
  RedditFake reddit;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  auto add = h.run({"accounts", "add", "reddit", "--handle", "u/crier_tester", "--server", reddit.url(),
                    "--secret-stdin", "--alias", "rd"},
                   reddit.credentials() + "\n");
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK(add.out.find(RedditFake::k_password) == std::string::npos);

  // What Reddit needs is asked for before anything is stored.
  auto no_title = h.run({"post", "text", "--to", "rd", "--opt", "subreddit=test"});
  CHECK(no_title.exit_code == 2);
  CHECK_THAT(no_title.err, Catch::Contains("needs a title"));
  auto no_sub = h.run({"post", "text", "--to", "rd", "--title", "T"});
  CHECK(no_sub.exit_code == 2);
  CHECK_THAT(no_sub.err, Catch::Contains("needs --opt subreddit=VALUE"));

  // A required flair that is missing: said by name, with the choices; not retried.
  auto flairless = h.run({"post", "Body", "--to", "rd", "--title", "Hello", "--opt", "subreddit=flairy"});
  CHECK(flairless.exit_code != 0);
  CHECK_THAT(flairless.err,
             Catch::Contains("r/flairy requires a flair") && Catch::Contains("Discussion, News"));
  CHECK(reddit.our_submissions().empty());

  // Killed while Reddit's answer is on its way: the post exists, crier has not recorded it.
  REQUIRE(h.run({"config", "set", "publish.lease_seconds", "2"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"schedule", "Release notes: **faster** publishing", "--to", "rd", "--title", "Release 2.1",
                 "--opt", "subreddit=flairy", "--opt", "flair=News", "--at", "now"})
              .exit_code == 0);
  reddit.hold_next_submit(10'000);
  int pid = h.spawn({"publish", "--due"});
  for (int i = 0; i < 200 && reddit.our_submissions().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{25});
  REQUIRE(reddit.our_submissions().size() == 1);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds{3200});  // the lease (whole seconds) runs out

  auto again = h.json({"publish", "--due"});
  INFO(again.dump());
  REQUIRE(again["deliveries"].size() == 1);
  CHECK(again["deliveries"][0]["result"] == "published");
  CHECK(reddit.our_submissions().size() == 1);  // found, not sent twice
  auto sub = reddit.our_submissions()[0];
  CHECK(again["deliveries"][0]["remote_id"] == sub["name"]);
  CHECK(sub["title"] == "Release 2.1");
  CHECK(sub["link_flair_text"] == "News");
  CHECK(sub["selftext"] == "Release notes: **faster** publishing");

  // Replies and messages come into the inbox; an answer goes out as a comment.
  reddit.add_reply(sub["name"], "ada", "congrats!");
  reddit.add_dm("linus", "hello", "a question");
  REQUIRE(h.run({"poll"}).exit_code == 0);
  json inbox = h.json({"inbox", "list"});
  REQUIRE(inbox["items"].size() == 2);
  CHECK(h.run({"inbox", "reply", std::to_string(inbox["items"][0]["id"].get<int>()), "Thanks!"}).exit_code ==
        0);
  CHECK(reddit.our_comments() == 1);
  reddit.set_score(sub["name"], 17, 3, 0.86);
  CHECK(h.run({"analytics", "refresh"}).exit_code == 0);
  json summary = h.json({"analytics", "summary"});
  REQUIRE(summary["accounts"].size() == 1);
  CHECK(summary["accounts"][0]["likes"] == 17);
  CHECK(summary["accounts"][0]["followers"] == 42);
  CHECK(summary["accounts"][0]["score"] == 488 + 22223);  // go-reddit's me: link + comment karma
  CHECK_THAT(h.run({"analytics"}).out, Catch::Contains("SCORE"));
  // The post's own counts, with Reddit's upvote ratio.
  json shown = h.json({"queue", "show", "2@rd"});
  CHECK(shown["metrics"]["likes"] == 17);
  CHECK(shown["metrics"]["replies"] == 3);
  CHECK(shown["metrics"]["upvote_ratio"] == 0.86);
  CHECK_THAT(h.run({"queue", "show", "2@rd"}).out,
             Catch::Contains("17 likes") && Catch::Contains("86% upvoted"));
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

TEST_CASE("reddit: an installed app signs in with the browser on its registered redirect, no password kept",
          "[e2e][reddit][auth]") {
  RedditFake reddit;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  int port = free_port();
  REQUIRE(h.run({"config", "set", "reddit.client_id", RedditFake::k_installed_id}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "reddit.redirect_port", std::to_string(port)}).exit_code == 0);
  std::map<std::string, std::optional<std::string>> browser = {
      {"BROWSER", "curl -sfL -o /dev/null"}, {"DISPLAY", std::nullopt}, {"WAYLAND_DISPLAY", std::nullopt}};
  auto add =
      h.run({"accounts", "add", "reddit", "--server", reddit.url(), "--alias", "rd"}, std::nullopt, browser);
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK_THAT(add.err, Catch::Contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A" + std::to_string(port)));
  CHECK_THAT(add.out, Catch::Contains("added reddit:crier_tester"));
  // The access token runs out: the refresh token gets another, and the post goes.
  reddit.expire_tokens();
  int before = reddit.tokens_issued();
  auto post = h.json({"post", "Hello", "--to", "rd", "--title", "Hi", "--opt", "subreddit=test"});
  CHECK(post["deliveries"][0]["result"] == "published");
  CHECK(reddit.tokens_issued() == before + 1);
  // Nothing of the sign-in shows, and no password was ever asked for or kept.
  for (const auto& f : std::filesystem::recursive_directory_iterator(h.home())) {
    if (!f.is_regular_file() || f.path().extension() == ".db") continue;
    std::string text = crier::read_file(f.path());
    CHECK(text.find("fake-refresh-") == std::string::npos);
  }
  // No browser and no terminal: a usage error naming both ways.
  CrierHome h2(CRIER_BINARY);
  REQUIRE(h2.run({"config", "set", "reddit.client_id", RedditFake::k_installed_id}).exit_code == 0);
  auto nobody =
      h2.run({"accounts", "add", "reddit", "--server", reddit.url()}, std::nullopt,
             {{"BROWSER", std::nullopt}, {"DISPLAY", std::nullopt}, {"WAYLAND_DISPLAY", std::nullopt}});
  CHECK(nobody.exit_code == 2);
  CHECK_THAT(nobody.err, Catch::Contains("--secret-stdin") && Catch::Contains("installed app"));
}
