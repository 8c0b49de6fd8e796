// End to end against a loopback Reddit: connect a script app, post with a title, subreddit and
// flair, die between submit and record, and reconcile without a duplicate.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "fakes/temp_home.hpp"
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
                   RedditFake::credentials() + "\n");
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
  CHECK_THAT(flairless.err, Catch::Contains("r/flairy requires a flair") && Catch::Contains("Discussion, News"));
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
  CHECK(h.run({"inbox", "reply", std::to_string(inbox["items"][0]["id"].get<int>()), "Thanks!"}).exit_code == 0);
  CHECK(reddit.our_comments() == 1);
  reddit.set_score(sub["name"], 17, 3);
  CHECK(h.run({"analytics", "refresh"}).exit_code == 0);
}
