// End to end: the real crier binary in a temporary HOME, as a user or cron would run it.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <signal.h>

#include <map>
#include <mutex>
#include <thread>

#include <fstream>
#include <sys/stat.h>

#include "providers/bluesky/testing/bluesky_fake.hpp"
#include "fakes/images.hpp"
#include "fakes/loopback_server.hpp"
#include "providers/mastodon/testing/mastodon_fake.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "store/store.hpp"

using namespace crier;
using namespace crier::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* k_t0 = "2026-11-22T10:00:00Z";
const char* k_t3h = "2026-11-22T13:00:00Z";
const char* k_t1d = "2026-11-23T10:00:00Z";

std::map<std::string, std::optional<std::string>> at(const char* t) { return {{"CRIER_NOW", std::string(t)}}; }

// A home with crier initialised and one sandbox account "sandbox:me", clock at t0.
void make_ready(CrierHome& h) {
  h.env["CRIER_NOW"] = k_t0;
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);
}

// Every delivery and inbox item there is: what "nothing written" is checked against.
std::string store_snapshot(const CrierHome& h) {
  return h.run({"queue", "list", "--all", "--json"}).out + h.run({"inbox", "list", "--all", "--json"}).out +
         h.run({"accounts", "list", "--json"}).out;
}

void write_png(const std::filesystem::path& p, size_t size) { write_file_atomic(p, test_png(size)); }

// One line of error, starting "crier: error: ", and maybe a hint line.
void check_one_error(const ProcessResult& r) {
  INFO("stderr: " << r.err);
  CHECK_THAT(r.err, Catch::StartsWith("crier: error: "));
  auto lines = std::count(r.err.begin(), r.err.end(), '\n');
  CHECK(lines >= 1);
  CHECK(lines <= 2);
  if (lines == 2) CHECK(r.err.find("\nhint: ") != std::string::npos);
}

}  // namespace

TEST_CASE("the README flow works end to end on the sandbox", "[e2e]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  auto post = h.run({"post", "Hello from the terminal! 👋 https://example.com"});
  INFO(post.err);
  REQUIRE(post.exit_code == 0);
  CHECK_THAT(post.out, Catch::Contains("published sandbox:me sandbox://me/post/"));

  auto sched = h.run({"schedule", "-", "--at", "in 2h", "--to", "me"}, "Later, from stdin.\n");
  INFO(sched.err);
  REQUIRE(sched.exit_code == 0);
  CHECK_THAT(sched.out, Catch::Contains("scheduled post 2 for me at 2026-11-22 12:00 UTC"));
  CHECK_THAT(h.run({"queue", "list"}).out, Catch::Contains("Later, from stdin."));

  // Nothing is due yet: cron's run prints nothing and exits 0.
  auto idle = h.run({"publish", "--due"});
  CHECK(idle.exit_code == 0);
  CHECK(idle.out.empty());
  CHECK(idle.err.empty());

  auto later = h.run({"publish", "--due"}, std::nullopt, at(k_t3h));
  REQUIRE(later.exit_code == 0);
  CHECK_THAT(later.out, Catch::Contains("published post 2 on sandbox:me"));
  CHECK(h.sandbox_state()["posts"].size() == 2);
  CHECK(h.sandbox_state()["posts"][1]["text"] == "Later, from stdin.");

  auto poll = h.json({"poll"}, at(k_t1d));
  CHECK(poll["new"].get<int>() > 0);
  auto inbox = h.json({"inbox", "list"}, at(k_t1d));
  REQUIRE_FALSE(inbox["items"].empty());
  std::string id = std::to_string(inbox["items"][0]["id"].get<int>());
  auto show = h.run({"inbox", "show", id}, std::nullopt, at(k_t1d));
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::Contains("from:"));
  auto reply = h.run({"inbox", "reply", id, "Thanks!"}, std::nullopt, at(k_t1d));
  INFO(reply.err);
  CHECK(reply.exit_code == 0);
  CHECK(h.sandbox_state()["posts"].back()["text"] == "Thanks!");
  CHECK(h.json({"inbox", "show", id}, at(k_t1d))["status"] == "replied");

  CHECK(h.run({"analytics", "refresh"}, std::nullopt, at(k_t1d)).exit_code == 0);
  auto summary = h.json({"analytics", "summary"}, at(k_t1d));
  REQUIRE(summary["accounts"].size() == 1);
  CHECK(summary["accounts"][0]["posts"] == 2);
  CHECK(summary["accounts"][0]["followers"].is_number());
}

TEST_CASE("every data command has --json with its documented fields", "[e2e][json]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  auto has = [](const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      INFO("field " << k << " in " << j.dump());
      CHECK(j.contains(k));
    }
  };
  has(h.json({"version"}), {"version", "schema_version"});
  has(h.json({"init"}), {"config", "config_written", "database", "schema_version"});
  has(h.json({"config", "get", "publish.max_attempts"}), {"key", "value", "source"});
  has(h.json({"config", "get", "--all"}), {"keys"});
  has(h.json({"config", "path"}), {"config", "database"});
  has(h.json({"providers", "list"})["providers"][0],
      {"name", "summary", "max_length", "unit", "max_bytes", "max_images", "max_image_bytes", "capabilities"});
  has(h.json({"accounts", "list"})["accounts"][0], {"id", "name", "network", "handle", "server", "alias", "status", "created_at"});
  has(h.json({"accounts", "check"})["accounts"][0], {"account", "ok", "error"});
  auto dry = h.json({"post", "--dry-run", "hi"});
  CHECK(dry["dry_run"] == true);
  has(dry["targets"][0]["parts"][0], {"text", "length", "limit", "unit", "bytes", "fits"});
  auto post = h.json({"post", "hello"});
  has(post, {"post_id", "deliveries"});
  has(post["deliveries"][0], {"id", "post_id", "account", "status", "due_at", "attempts", "next_attempt_at", "remote_id",
                              "remote_url", "published_at", "last_error", "last_error_kind", "outcome_unknown",
                              "parts", "result"});
  CHECK(post["deliveries"][0]["parts"][0]["remote_id"] == post["deliveries"][0]["remote_id"]);
  has(h.json({"schedule", "later", "--at", "in 1h"}), {"post_id", "due_at", "deliveries"});
  has(h.json({"queue", "list"})["deliveries"][0], {"id", "status", "due_at", "text"});
  has(h.json({"publish", "--due"}), {"published", "retrying", "paused", "failed", "deliveries"});
  has(h.json({"poll"}, at(k_t1d)), {"new", "streams"});
  auto inbox = h.json({"inbox", "list"}, at(k_t1d));
  REQUIRE_FALSE(inbox["items"].empty());
  has(inbox["items"][0], {"id", "account", "kind", "status", "remote_id", "thread_id", "in_reply_to", "delivery_id",
                          "author", "author_name", "text", "url", "created_at", "reply_remote_id"});
  has(h.json({"analytics", "refresh"}, at(k_t1d)), {"posts", "accounts", "errors"});
  has(h.json({"analytics", "summary"}, at(k_t1d))["accounts"][0],
      {"account", "posts", "likes", "reposts", "replies", "quotes", "views", "followers", "followers_change"});
  has(h.json({"doctor"}, {{"CRIER_LLM_ENDPOINT", std::string("http://127.0.0.1:9")}}), {"ok", "checks"});
  auto queue_id = std::to_string(h.json({"schedule", "x", "--at", "in 5h"})["post_id"].get<int>());
  has(h.json({"queue", "cancel", queue_id}), {"cancelled", "refused"});
}

TEST_CASE("bad input: a clear one-line error, its exit code, and nothing written", "[e2e][errors]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  h.run({"post", "first"});
  std::string before = store_snapshot(h);

  SECTION("unknown flag") {
    auto r = h.run({"post", "--bogus", "hi"});
    CHECK(r.exit_code == 2);
    check_one_error(r);
  }
  SECTION("unknown command suggests the right one") {
    auto r = h.run({"shedule", "hi"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("did you mean 'crier schedule'?"));
  }
  SECTION("bad date") {
    auto r = h.run({"schedule", "hi", "--at", "next blue moon"});
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains("next blue moon"));
  }
  SECTION("a date in the past") {
    auto r = h.run({"schedule", "hi", "--at", "2020-01-01T00:00:00Z"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("in the past"));
  }
  SECTION("a local time in a DST gap") {
    auto r = h.run({"schedule", "hi", "--at", "2027-03-28 02:30"}, std::nullopt,
                   {{"CRIER_TIMEZONE", std::string("Europe/Berlin")}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("does not exist in Europe/Berlin"));
  }
  SECTION("missing image") {
    auto r = h.run({"post", "hi", "--image", (h.home() / "nope.png").string(), "--alt", "x"});
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains("nope.png"));
  }
  SECTION("image over the network's limit") {
    write_png(h.home() / "big.png", 5'000'001);
    auto r = h.run({"post", "hi", "--image", (h.home() / "big.png").string(), "--alt", "a big one"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("big.png") && Catch::Contains("limit"));
  }
  SECTION("image without alt text") {
    write_png(h.home() / "ok.png", 100);
    auto r = h.run({"post", "hi", "--image", (h.home() / "ok.png").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no alt text"));
  }
  SECTION("over-long text says by how much") {
    auto r = h.run({"post", std::string(510, 'x')});
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains("510/500 graphemes (10 over)"));
    CHECK_THAT(r.err, Catch::Contains("--thread"));
  }
  SECTION("unknown account") {
    auto r = h.run({"post", "hi", "--to", "sandbox:nobody"});
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains("unknown account 'sandbox:nobody'"));
    CHECK_THAT(r.err, Catch::Contains("sandbox:me"));
  }
  SECTION("broken TOML") {
    std::string good = read_file(h.config_file());
    std::ofstream(h.config_file(), std::ios::app) << "\n[publish\nmax_attempts = 3\n";
    auto r = h.run({"post", "hi"});
    CHECK(r.exit_code == 3);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains("config.toml:"));
    write_file_atomic(h.config_file(), good);
  }
  SECTION("empty text from stdin") {
    auto r = h.run({"post", "-"}, "");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("empty"));
  }
  SECTION("a NUL byte or an escape sequence in the text") {
    for (std::string text : {std::string("hello\0world", 11), std::string("hi \x1b]0;title\x07")}) {
      auto r = h.run({"post", "-"}, text);
      CHECK(r.exit_code == 2);
      check_one_error(r);
      CHECK_THAT(r.err, Catch::Contains("control character"));
      CHECK(r.err.find('\x1b') == std::string::npos);
    }
  }
  SECTION("a truncated image, or one whose header claims absurd dimensions") {
    write_file_atomic(h.home() / "cut.png", test_png(400).substr(0, 20));
    auto cut = h.run({"post", "hi", "--image", (h.home() / "cut.png").string(), "--alt", "x"});
    CHECK(cut.exit_code == 2);
    CHECK_THAT(cut.err, Catch::Contains("cut short"));
    write_file_atomic(h.home() / "huge.png", test_png(400, 100000, 100000));
    auto huge = h.run({"post", "hi", "--image", (h.home() / "huge.png").string(), "--alt", "x"});
    CHECK(huge.exit_code == 2);
    CHECK_THAT(huge.err, Catch::Contains("100000x100000"));
  }
  SECTION("numbers out of range") {
    for (std::string when : {"in 99999999999999999999h", "in 99999999999999h", "in 5000000 days", "9999-01-01 10:00"}) {
      INFO(when);
      auto r = h.run({"schedule", "hi", "--at", when});
      CHECK(r.exit_code == 2);
      check_one_error(r);
      CHECK(r.err.find("internal error") == std::string::npos);
    }
  }
  SECTION("unknown inbox item") {
    auto r = h.run({"inbox", "reply", "999", "hi"});
    CHECK(r.exit_code == 1);
    check_one_error(r);
  }
  CHECK(store_snapshot(h) == before);
}

TEST_CASE("cron with nothing to do: no database yet, no output, exit 0, nothing created", "[e2e][cron]") {
  CrierHome h(CRIER_BINARY);
  auto r = h.run({"publish", "--due"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  CHECK_FALSE(std::filesystem::exists(h.db_file()));
  CHECK(h.run({"poll"}).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(h.db_file()));
}

TEST_CASE("exit codes of publishing: 6 partial, 75 try later, 4 auth", "[e2e][exit]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "other", "--alias", "o"}).exit_code == 0);

  SECTION("one target fails for good: partial") {
    auto r = h.run({"post", "hi", "--to", "me,o"}, std::nullopt,
                   {{"CRIER_SANDBOX_FAULT", std::string("publish@other=permanent")}});
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.out, Catch::Contains("published sandbox:me"));
    CHECK_THAT(r.err, Catch::Contains("crier: error: sandbox:other"));
  }
  SECTION("rate limited everywhere: try later, and cron picks it up") {
    auto r = h.run({"post", "hi", "--to", "me,o"}, std::nullopt,
                   {{"CRIER_SANDBOX_FAULT", std::string("publish=rate_limited")}});
    CHECK(r.exit_code == 75);
    CHECK(h.sandbox_state()["posts"].size() == 0);
    auto later = h.json({"publish", "--due"}, at(k_t3h));
    CHECK(later["published"] == 2);
  }
  SECTION("auth failure pauses the account until it is reconnected") {
    auto r = h.run({"post", "hi", "--to", "me"}, std::nullopt, {{"CRIER_SANDBOX_FAULT", std::string("publish=auth")}});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("hint: "));
    CHECK(h.json({"accounts", "list"})["accounts"][0]["status"] == "auth_failed");
    CHECK(h.json({"publish", "--due"}, at(k_t3h))["deliveries"].empty());
    REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);
    CHECK(h.json({"publish", "--due"}, at(k_t3h))["published"] == 1);
  }
  SECTION("a post to a paused account says so and exits 4, never 0 in silence") {
    open_sqlite_store(h.db_file())->set_account_status(1, "auth_failed");
    auto r = h.run({"post", "hello?", "--to", "me"});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("sandbox:me: not sent: the account is paused"));
    CHECK_THAT(r.err, Catch::Contains("hint: reconnect: crier accounts add sandbox --handle me"));
    CHECK(h.json({"queue", "list"})["deliveries"][0]["status"] == "queued");  // kept for later
  }
  SECTION("a post whose account another crier is publishing for waits, and says so (75)") {
    REQUIRE(h.run({"schedule", "earlier", "--at", "in 1m", "--to", "me"}).exit_code == 0);
    auto store = open_sqlite_store(h.db_file());
    auto t0 = *parse_iso8601(k_t0);
    REQUIRE(store->claim_due(t0 + std::chrono::minutes{2}, "another-crier", t0 + std::chrono::minutes{10}));
    auto r = h.run({"post", "second", "--to", "me"});
    CHECK(r.exit_code == 75);
    CHECK_THAT(r.err, Catch::Contains("another crier is publishing for this account"));
    CHECK_THAT(r.err, Catch::Contains("crier publish --due"));
  }
}

TEST_CASE("a post whose answer was lost is not published twice", "[e2e][exactly-once]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  auto r = h.run({"post", "only once"}, std::nullopt, {{"CRIER_SANDBOX_FAULT", std::string("publish=lost_response")}});
  CHECK(r.exit_code == 75);
  CHECK(h.sandbox_state()["posts"].size() == 1);
  auto again = h.json({"publish", "--due"}, at(k_t3h));
  CHECK(again["published"] == 1);
  CHECK(h.sandbox_state()["posts"].size() == 1);
  CHECK(h.json({"queue", "list", "--all"})["deliveries"][0]["status"] == "published");
}

TEST_CASE("one id per thing: the queue names posts as post and schedule print them", "[e2e][queue]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "other", "--alias", "o"}).exit_code == 0);
  // Two targets: post 1 has deliveries 1 and 2, so post numbers and delivery ids part ways.
  auto two = h.run({"schedule", "Good morning, both of you", "--at", "in 1h", "--to", "me,o"});
  CHECK_THAT(two.out, Catch::Contains("scheduled post 1 for me, o at 2026-11-22 11:00 UTC"));
  CHECK_THAT(two.out, Catch::Contains("see: crier queue show 1"));
  auto one = h.run({"schedule", "Just for me", "--at", "in 2h", "--to", "me"});
  CHECK_THAT(one.out, Catch::Contains("scheduled post 2 for me"));
  // What list shows is what the commands take.
  auto list = h.run({"queue"});
  CHECK_THAT(list.out, Catch::Contains("1@me") && Catch::Contains("1@o") && Catch::Contains("Just for me"));
  auto refs = h.json({"queue"})["deliveries"];
  CHECK(refs[0]["ref"] == "1@me");
  CHECK(refs[2]["ref"] == "2");

  // "cancel 2" cancels post 2 (delivery 3), says what it cancelled, and can be undone.
  auto c = h.run({"queue", "cancel", "2"});
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("cancelled post 2 \"Just for me\" on sandbox:me; undo: crier queue restore 2"));
  CHECK(h.json({"queue", "show", "1"})["deliveries"].size() == 2);  // post 1 untouched
  CHECK(h.json({"queue", "show", "1@o"})["status"] == "queued");
  auto r = h.run({"queue", "restore", "2"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("restored post 2 \"Just for me\" on sandbox:me, due 2026-11-22 12:00 UTC"));
  CHECK(h.json({"queue", "show", "2"})["status"] == "queued");
  // One account of a post; the whole post; a list with commas.
  CHECK_THAT(h.run({"queue", "cancel", "1@o"}).out, Catch::Contains("cancelled post 1 \"Good morning, both of you\" on o"));
  CHECK(h.json({"queue", "show", "1@me"})["status"] == "queued");
  CHECK(h.json({"queue", "cancel", "1,2"})["cancelled"] == json::array({"1", "2"}));
  CHECK(h.json({"queue", "list"})["deliveries"].empty());
  // Names that are not there, or not names at all.
  auto missing = h.run({"queue", "cancel", "999"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no post 999 in the queue"));
  auto wrong = h.run({"queue", "show", "1@nobody"});
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.err, Catch::Contains("unknown account 'nobody'"));
  CHECK(h.run({"queue", "show", "banana"}).exit_code == 2);
  // Retry takes the same names; only failed or dead posts.
  auto failed = h.json({"post", "x", "--to", "me"}, {{"CRIER_SANDBOX_FAULT", std::string("publish=permanent")}});
  std::string ref = failed["deliveries"][0]["ref"];
  CHECK(ref == "3");
  CHECK(h.run({"queue", "retry", "1"}).exit_code == 1);  // cancelled, not failed
  CHECK(h.run({"queue", "retry", ref}).exit_code == 0);
  CHECK(h.json({"publish", "--due"})["published"] == 1);
  // Schedules are s1, s2...
  auto every = h.run({"schedule", "Standup", "--every", "weekdays 09:30", "--to", "o"});
  CHECK_THAT(every.out, Catch::Contains("scheduled s1: ") && Catch::Contains("stop it: crier queue cancel s1"));
  auto stop = h.run({"queue", "cancel", "s1"});
  CHECK_THAT(stop.out, Catch::Contains("cancelled schedule s1 (") && Catch::Contains("1 queued post"));
  CHECK(h.run({"queue", "restore", "s1"}).exit_code == 0);
  CHECK(h.json({"queue", "show", "s1"})["status"] == "active");
}

TEST_CASE("accounts: list names, check, remove, reconnect - secrets never printed", "[e2e][accounts]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  auto names = h.run({"accounts", "list", "-q"});
  CHECK(names.out == "sandbox:me\n");
  CHECK(h.run({"accounts", "check"}).exit_code == 0);
  auto dup = h.run({"accounts", "add", "sandbox", "--handle", "me"});
  CHECK(dup.exit_code == 0);
  CHECK_THAT(dup.out, Catch::Contains("reconnected"));
  CHECK(h.run({"accounts", "add", "nosuchnet", "--handle", "x"}).exit_code == 2);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"accounts", "list", "--json"}, {"accounts", "check", "--json"}, {"doctor", "--json"}, {"config", "get", "--all"}}) {
    auto r = h.run(args, std::nullopt, {{"CRIER_LLM_ENDPOINT", std::string("http://127.0.0.1:9")}});
    CHECK(r.out.find("sbx_") == std::string::npos);
    CHECK(r.err.find("sbx_") == std::string::npos);
  }
  struct stat st {};
  REQUIRE(::stat(h.db_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  h.run({"schedule", "x", "--at", "in 1h"});
  auto refused = h.run({"accounts", "remove", "me"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("--force"));
  // Not on a terminal: no silent deletion, --yes says it is meant.
  auto unasked = h.run({"accounts", "remove", "me", "--force"});
  CHECK(unasked.exit_code == 2);
  CHECK_THAT(unasked.err, Catch::Contains("removing sandbox:me with its 1 post, 0 inbox items") &&
                              Catch::Contains("add --yes"));
  // On a terminal it asks; anything but yes keeps the account.
  auto kept = h.run_tty({"accounts", "remove", "me", "--force"}, 120, {}, "n\n");
  CHECK_THAT(kept.out, Catch::Contains("remove sandbox:me with its 1 post") && Catch::Contains("[y/N]"));
  CHECK(kept.exit_code == 1);
  CHECK(h.json({"accounts", "list"})["accounts"].size() == 1);
  auto gone = h.run({"accounts", "remove", "me", "--force", "--yes"});
  CHECK(gone.exit_code == 0);
  CHECK_THAT(gone.out, Catch::Contains("removed sandbox:me with its 1 post"));
  CHECK(h.json({"accounts", "list"})["accounts"].empty());
  CHECK(h.json({"queue", "list", "--all"})["deliveries"].empty());
}

TEST_CASE("config get, set, path - bad values refused", "[e2e][config]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  CHECK(h.run({"config", "path"}).out == h.config_file().string() + "\n");
  CHECK(h.run({"config", "set", "general.timezone", "Europe/Berlin"}).exit_code == 0);
  CHECK(h.run({"config", "get", "general.timezone"}, std::nullopt, {{"CRIER_TIMEZONE", std::nullopt}}).out == "Europe/Berlin\n");
  CHECK_THAT(read_file(h.config_file()), Catch::Contains("# IANA time zone"));
  CHECK(h.run({"config", "set", "publish.max_attempts", "lots"}).exit_code == 2);
  CHECK(h.run({"config", "set", "no.such", "1"}).exit_code == 2);
  CHECK(h.run({"config", "get", "no.such"}).exit_code == 2);
  // config set refuses what loading would refuse, and leaves the file as it was.
  std::string before = read_file(h.config_file());
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"general.timezone", "Mars/Olympus"}, {"http.timeout_seconds", "0"}, {"publish.concurrency", "100000"},
           {"llm.backend", "skynet"}, {"general.color", "sometimes"}}) {
    INFO(key << " = " << value);
    auto r = h.run({"config", "set", key, value});
    CHECK(r.exit_code == 2);
    check_one_error(r);
  }
  CHECK(read_file(h.config_file()) == before);
  // A file edited by hand: a wrong type, an unknown zone or an out-of-range number is an error
  // with file:line:column, for every command.
  for (std::string bad : {"[general]\ntimezone = 42\n", "[general]\ntimezone = \"Mars/Base\"\n",
                          "[http]\ntimeout_seconds = 0\n", "[publish]\nmax_attempts = \"5\"\n"}) {
    INFO(bad);
    write_file_atomic(h.config_file(), bad);
    auto r = h.run({"queue"}, std::nullopt, {{"CRIER_TIMEZONE", std::nullopt}});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(h.config_file().string() + ":2:"));
  }
  write_file_atomic(h.config_file(), before);
  // The environment is checked too.
  auto env = h.run({"schedule", "x", "--at", "tomorrow 9am"}, std::nullopt, {{"CRIER_TIMEZONE", std::string("Mars/Base")}});
  CHECK(env.exit_code == 3);
  CHECK_THAT(env.err, Catch::Contains("CRIER_TIMEZONE"));
  // A --config that is not there, or is a directory, is an error, not silently the defaults.
  auto missing = h.run({"--config", (h.home() / "nope.toml").string(), "queue"});
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("does not exist"));
  auto dir = h.run({"--config", h.home().string(), "queue"});
  CHECK(dir.exit_code == 3);
  CHECK_THAT(dir.err, Catch::Contains("is a directory"));
  CHECK(h.run({"--config", (h.home() / "new.toml").string(), "init"}).exit_code == 0);  // init makes it
  // --db and CRIER_DB choose the database.
  auto other = (h.home() / "other.db").string();
  CHECK(h.run({"--db", other, "accounts", "list", "--json"}).exit_code == 0);
  CHECK(h.json({"accounts", "list"}, {{"CRIER_DB", other}})["accounts"].empty());
}

TEST_CASE("files: --db never changes a file crier did not create, and refuses what is not a regular file", "[e2e][files]") {
  CrierHome h(CRIER_BINARY);
  struct stat before {}, after {};
  REQUIRE(::stat("/dev/null", &before) == 0);
  auto dev = h.run({"--db", "/dev/null", "accounts", "list"});
  CHECK(dev.exit_code == 3);
  CHECK_THAT(dev.err, Catch::Contains("not a regular file"));
  REQUIRE(::stat("/dev/null", &after) == 0);
  CHECK(after.st_mode == before.st_mode);  // run as root, this was chmod 0600'ed
  CHECK(h.run({"--db", h.home().string(), "accounts", "list"}).exit_code == 3);

  // A file that is not a database: named, refused, untouched.
  auto notes = h.home() / "notes.txt";
  write_file_atomic(notes, "my notes\n", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                             fs::perms::others_read);
  auto r = h.run({"--db", notes.string(), "accounts", "list"});
  CHECK(r.exit_code == 3);
  check_one_error(r);
  CHECK(read_file(notes) == "my notes\n");
  CHECK((fs::status(notes).permissions() & fs::perms::others_read) != fs::perms::none);

  // A database crier creates is 0600 from the start.
  auto fresh = h.home() / "fresh.db";
  REQUIRE(h.run({"--db", fresh.string(), "init"}).exit_code == 0);
  CHECK((fs::status(fresh).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);

  // crier's own path is never reached through a link planted there.
  fs::create_directories(h.data_dir());
  fs::create_symlink(notes, h.db_file());
  auto link = h.run({"accounts", "list"});
  CHECK(link.exit_code == 3);
  CHECK_THAT(link.err, Catch::Contains("symbolic link"));
  CHECK(read_file(notes) == "my notes\n");
}

TEST_CASE("doctor reports a corrupt database and goes on with the other checks", "[e2e][doctor]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  for (int i = 0; i < 3; ++i) REQUIRE(h.run({"post", "hello " + std::to_string(i)}).exit_code == 0);
  {
    std::fstream f(h.db_file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 2);
    std::string junk(4096, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto r = h.run({"doctor", "--json"});
  CHECK(r.exit_code == 1);
  auto j = json::parse(r.out);
  std::map<std::string, std::string> status;
  for (const auto& c : j["checks"]) status[c["check"]] = c["status"];
  CHECK(status["database"] == "error");
  CHECK(status.count("clock") == 1);  // the checks after it still ran
  CHECK(status.count("llm") == 1);
  bool corrupt = false;
  for (const auto& c : j["checks"])
    if (c["check"] == "database") corrupt = c["detail"].get<std::string>().find("corrupt") != std::string::npos;
  CHECK(corrupt);
}

TEST_CASE("doctor reports each check and finds a reachable LLM endpoint", "[e2e][doctor]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  LoopbackServer ollama;
  ollama.server().Get("/api/tags", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"models":[]})", "application/json");
  });
  std::string base = ollama.start();
  auto j = h.json({"doctor"}, {{"CRIER_LLM_ENDPOINT", base}});
  CHECK(j["ok"] == true);
  std::map<std::string, std::string> status;
  for (const auto& c : j["checks"]) status[c["check"]] = c["status"];
  CHECK(status["config"] == "ok");
  CHECK(status["database"] == "ok");
  CHECK(status["clock"] == "ok");
  CHECK(status["account sandbox:me"] == "ok");
  CHECK(status["llm"] == "ok");
  CHECK(ollama.requests().size() == 1);
  auto down = h.json({"doctor"}, {{"CRIER_LLM_ENDPOINT", std::string("http://127.0.0.1:9")}});
  CHECK(down["ok"] == true);  // no LLM is a warning, not a failure
}

TEST_CASE("images are copied in and posted with alt text - dry run shows lengths per network", "[e2e][post]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  write_png(h.home() / "cat.png", 2000);
  auto dry = h.run({"post", "--dry-run", "a cat 🐈", "--image", (h.home() / "cat.png").string(), "--alt", "a cat"});
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("length 7/500 graphemes, 10 bytes"));
  CHECK_THAT(dry.out, Catch::Contains("alt: \"a cat\""));
  CHECK(h.json({"queue", "list", "--all"})["deliveries"].empty());
  auto sched = h.run({"schedule", "a cat 🐈", "--at", "in 1h", "--image", (h.home() / "cat.png").string(), "--alt", "a cat"});
  REQUIRE(sched.exit_code == 0);
  std::filesystem::remove(h.home() / "cat.png");  // the scheduled post does not need the original
  CHECK(h.json({"publish"}, at(k_t3h))["published"] == 1);
  CHECK(h.sandbox_state()["posts"][0]["media"] == 1);

  auto thread = h.json({"post", "--dry-run", "--thread", std::string(300, 'a') + ". " + std::string(300, 'b') + "."});
  CHECK(thread["targets"][0]["parts"].size() == 2);
}

TEST_CASE("the completion scripts are valid bash and name the commands", "[e2e][completion]") {
  CrierHome h(CRIER_BINARY);
  auto bash = h.run({"completion", "bash"});
  CHECK(bash.exit_code == 0);
  CHECK_THAT(bash.out, Catch::Contains("complete -F _crier crier"));
  auto check = run_process({"bash", "-n"}, ProcessOptions{{}, bash.out, true});
  CHECK(check.exit_code == 0);
  CHECK_THAT(h.run({"completion", "zsh"}).out, Catch::StartsWith("#compdef crier"));
  CHECK_THAT(h.run({"completion", "fish"}).out, Catch::Contains("complete -c crier"));
  CHECK(h.run({"completion", "tcsh"}).exit_code == 2);
}

TEST_CASE("the demo runs the whole tour and cleans up", "[e2e][demo]") {
  CrierHome h(CRIER_BINARY);
  auto r = h.run({"demo"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  for (const char* step : {"$ crier init", "$ crier post", "$ crier schedule", "$ crier publish --due", "$ crier poll",
                           "$ crier inbox reply", "$ crier analytics summary", "That's the tour."})
    CHECK_THAT(r.out, Catch::Contains(step));
  CHECK(r.out.find("exit status") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(h.db_file()));  // the user's own data dir is untouched
}

TEST_CASE("mastodon end to end: connect with a token, post, poll, answer, measure", "[e2e][mastodon]") {
  MastodonFake fake;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  auto add = h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin", "--alias", "masto"},
                   std::string(MastodonFake::k_token) + "\n");
  INFO(add.err);
  REQUIRE(add.exit_code == 0);
  std::string name = "mastodon:@" + fake.me()["username"].get<std::string>() + "@" + fake.url().substr(7);
  CHECK_THAT(add.out, Catch::Contains("added " + name));
  CHECK(add.out.find(MastodonFake::k_token) == std::string::npos);

  std::string long_url = "https://example.com/" + std::string(200, 'a');
  auto dry = h.json({"post", "--dry-run", "read " + long_url, "--to", "masto"});
  CHECK(dry["targets"][0]["parts"][0]["length"] == 5 + 23);  // every URL counts 23
  auto too_long = h.run({"post", std::string(501, 'x'), "--to", "masto"});
  CHECK(too_long.exit_code == 2);
  CHECK_THAT(too_long.err, Catch::Contains("501/500 characters (1 over)"));

  auto quiet = h.json({"post", "Quietly", "--to", "masto", "--visibility", "unlisted", "--cw", "spoilers", "--lang", "en"});
  REQUIRE(quiet["deliveries"][0]["result"] == "published");
  CHECK(fake.our_statuses()[0]["visibility"] == "unlisted");
  CHECK(fake.our_statuses()[0]["spoiler_text"] == "spoilers");
  CHECK(fake.our_statuses()[0]["language"] == "en");
  CHECK(h.run({"post", "x", "--to", "masto", "--visibility", "friends"}).exit_code == 2);
  fake.forget_statuses();  // as if deleted on the instance: analytics must carry on without it

  auto post = h.json({"post", "Hello, fediverse!", "--to", "masto"});
  REQUIRE(post["deliveries"][0]["result"] == "published");
  std::string status_id = post["deliveries"][0]["remote_id"];
  REQUIRE(fake.our_statuses().size() == 1);
  CHECK(fake.our_statuses()[0]["content"] == "<p>Hello, fediverse!</p>");

  fake.add_mention("ada@other.example", "Welcome! 🎉", status_id);
  fake.add_dm("linus@kernel.example", "can we talk?");
  auto poll = h.json({"poll"});
  CHECK(poll["new"] == 2);
  auto inbox = h.json({"inbox", "list"});
  REQUIRE(inbox["items"].size() == 2);
  nlohmann::json reply_item;
  for (const auto& i : inbox["items"])
    if (i["kind"] == "reply") reply_item = i;
  REQUIRE(reply_item.is_object());
  CHECK(reply_item["delivery_id"] == post["deliveries"][0]["id"]);
  CHECK(h.json({"poll"})["new"] == 0);

  auto answered = h.run({"inbox", "reply", std::to_string(reply_item["id"].get<int>()), "Thank you!"});
  INFO(answered.err);
  CHECK(answered.exit_code == 0);
  auto ours = fake.our_statuses();
  REQUIRE(ours.size() == 2);
  CHECK(ours[1]["in_reply_to_id"] == reply_item["remote_id"]);
  CHECK_THAT(ours[1]["content"].get<std::string>(), Catch::Contains("@ada@other.example Thank you!"));

  fake.set_counts(status_id, 12, 3, 1);
  auto refresh = h.json({"analytics", "refresh"});
  CHECK(refresh["posts"] == 1);
  CHECK(refresh["accounts"] == 1);
  auto summary = h.json({"analytics", "summary"});
  CHECK(summary["accounts"][0]["likes"] == 12);
  CHECK(summary["accounts"][0]["reposts"] == 3);

  CHECK(h.run({"accounts", "check"}).exit_code == 0);
}

TEST_CASE("a 502 after the post was made is reconciled, not resent - even without Idempotency-Key", "[e2e][exactly-once]") {
  // Found by the chaos test: a transient error may come after the network made the post, so
  // the retry must look first, not only a retry after a dead worker.
  MastodonFake fake;
  fake.ignore_idempotency = true;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  fake.lose_next_status_answer();
  // With no backoff the same run tries again: it looks, finds the post, and records it.
  auto post = h.json({"post", "once only", "--no-card"});
  REQUIRE(post["deliveries"].size() == 1);
  CHECK(post["deliveries"][0]["result"] == "published");
  CHECK(fake.our_statuses().size() == 1);
  CHECK(h.json({"queue", "list", "--all"})["deliveries"][0]["remote_id"] == fake.our_statuses()[0]["id"]);
}

namespace {

// A home with one Mastodon account on `fake`, retrying at once.
void mastodon_ready(CrierHome& h, MastodonFake& fake) {
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
}

std::map<std::string, int> status_texts(MastodonFake& fake) {
  std::map<std::string, int> seen;
  for (const auto& st : fake.our_statuses()) ++seen[st["content"].get<std::string>()];
  return seen;
}

}  // namespace

TEST_CASE("the same text twice: reconcile never takes the first post for the second", "[e2e][exactly-once]") {
  // Recurring posts repeat their text by design. A reconcile by text alone recorded the second
  // delivery as the first's post, and the second post was never made.
  MastodonFake fake;
  fake.ignore_idempotency = true;
  CrierHome h(CRIER_BINARY);
  mastodon_ready(h, fake);
  fake.add_own_status("Office hours", 3 * 3600);  // posted by hand this morning
  auto first = h.json({"post", "Office hours", "--no-card"})["deliveries"][0];
  REQUIRE(first["result"] == "published");
  fake.fail("/api/v1/statuses", 502, {}, 1);  // the second attempt dies before anything is made
  REQUIRE(h.run({"config", "set", "publish.max_attempts", "1"}).exit_code == 0);
  auto second = h.json({"post", "Office hours", "--no-card"})["deliveries"][0];
  CHECK(second["result"] == "dead");
  CHECK(h.run({"queue", "retry", second["ref"].get<std::string>()}).exit_code == 0);
  auto again = h.json({"publish", "--due"})["deliveries"][0];
  CHECK(again["result"] == "published");
  CHECK(again["remote_id"] != first["remote_id"]);
  CHECK(status_texts(fake)["<p>Office hours</p>"] == 3);
}

TEST_CASE("a 200 that is not a status is not published: looked for, then recorded once", "[e2e][exactly-once]") {
  MastodonFake fake;
  fake.ignore_idempotency = true;
  CrierHome h(CRIER_BINARY);
  mastodon_ready(h, fake);
  REQUIRE(h.run({"config", "set", "publish.max_attempts", "1"}).exit_code == 0);
  int n = 0;
  for (std::string body : {"[1,2,3]", R"({"id": 42})", "{}", "<html>Welcome!</html>"}) {
    INFO(body);
    std::string text = "garbled " + std::to_string(++n);
    fake.garble_next_status_answer(body, body[0] == '<' ? "text/html" : "application/json");
    auto d = h.json({"post", text, "--no-card"})["deliveries"][0];
    // Made, but the answer says nothing: with one attempt allowed, crier looks before giving up.
    CHECK(d["result"] == "published");
    CHECK(d["remote_id"] != nullptr);
    CHECK(d["remote_id"] != "");
    CHECK(status_texts(fake)["<p>" + text + "</p>"] == 1);
  }
}

TEST_CASE("a rate limit between an unknown outcome and the retry does not make it publish blind", "[e2e][exactly-once]") {
  MastodonFake fake;
  fake.ignore_idempotency = true;
  CrierHome h(CRIER_BINARY);
  mastodon_ready(h, fake);
  fake.drop_next_status_answer();                                  // made; the answer is lost
  fake.fail("/api/v1/accounts/", 429, {{"Retry-After", "0"}}, 1);  // the reconcile is throttled
  auto d = h.json({"post", "look before you leap", "--no-card"})["deliveries"][0];
  CHECK(d["result"] == "retry");
  auto again = h.json({"publish", "--due"})["deliveries"][0];
  CHECK(again["result"] == "published");
  CHECK(status_texts(fake)["<p>look before you leap</p>"] == 1);
}

TEST_CASE("recurring posts, slots, queue show and reschedule, across a DST change", "[e2e][schedule]") {
  CrierHome h(CRIER_BINARY);
  h.env["CRIER_TIMEZONE"] = "Europe/Berlin";
  h.env["CRIER_NOW"] = "2026-10-23T12:00:00Z";  // a Friday; Berlin leaves summer time on Sunday
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);
  auto s = h.json({"schedule", "Good morning", "--every", "daily 09:00", "--count", "3"});
  CHECK(s["first_at"] == "2026-10-24T07:00:00Z");
  CHECK(s["rule"] == "FREQ=DAILY;BYHOUR=9;BYMINUTE=0");
  int64_t id = s["deliveries"][0]["post_id"];  // the queue names posts: what schedule printed
  auto shown = h.json({"queue", "show", std::to_string(id)});
  CHECK(shown["schedule"]["next"] == json::array({"2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z"}));  // 09:00 CET
  CHECK(h.json({"queue", "show", "s1"})["next"] == shown["schedule"]["next"]);

  // Each occurrence is published once; the next is queued when one comes due; three in all.
  for (const char* now : {"2026-10-24T07:00:10Z", "2026-10-25T08:00:10Z", "2026-10-26T08:00:10Z", "2026-10-27T08:00:10Z"}) {
    auto r = h.run({"publish", "--due"}, std::nullopt, {{"CRIER_NOW", now}});
    CHECK(r.exit_code == 0);
  }
  auto all = h.json({"queue", "list", "--all", "--schedule", "1"})["deliveries"];
  REQUIRE(all.size() == 3);
  for (const auto& d : all) CHECK(d["status"] == "published");
  CHECK(all[1]["due_at"] == "2026-10-25T08:00:00Z");

  // Slots: --next-slot takes the first free one, then the next.
  CHECK(h.run({"schedule", "x", "--next-slot"}).exit_code == 2);  // no slots yet: says how to set them
  REQUIRE(h.run({"slots", "set", "me", "mon-fri 09:00,13:00"}).exit_code == 0);
  auto a = h.json({"schedule", "slot one", "--next-slot"});
  auto b = h.json({"schedule", "slot two", "--at", "next-slot"});
  // Now is Fri 14:00 CEST; Mon 09:00 CET is taken by the recurring post above.
  CHECK(a["deliveries"][0]["due_at"] == "2026-10-26T12:00:00Z");  // Mon 13:00 CET
  CHECK(b["deliveries"][0]["due_at"] == "2026-10-27T08:00:00Z");  // Tue 09:00 CET
  CHECK(h.json({"slots", "list"})["slots"][0]["next_free"] == "2026-10-27T12:00:00Z");

  // Reschedule; refused for what is not queued; bad rules are usage errors.
  std::string bid = std::to_string(b["deliveries"][0]["post_id"].get<int64_t>());
  auto moved = h.json({"queue", "reschedule", bid, "--at", "2026-11-02 10:00"});
  CHECK(moved["rescheduled"] == json::array({bid}));
  CHECK(h.json({"queue", "show", bid})["due_at"] == "2026-11-02T09:00:00Z");
  CHECK(h.run({"queue", "reschedule", std::to_string(id), "--at", "in 1h"}).exit_code == 1);
  auto bad = h.run({"schedule", "x", "--every", "every fortnight"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("cannot read the rule"));
  CHECK(h.run({"schedule", "x", "--until", "in 2d", "--at", "in 1h"}).exit_code == 2);
}

TEST_CASE("cron show and install: crontab block replaced in place, systemd units written", "[e2e][cron]") {
  CrierHome h(CRIER_BINARY);
  auto show = h.run({"cron", "show"});
  CHECK_THAT(show.out, Catch::Contains("* * * * * '") && Catch::Contains("publish --due -q") &&
                           Catch::Contains("*/5 * * * * ") && Catch::Contains("0 * * * * '") &&
                           Catch::Contains("analytics refresh -q"));
  // A crontab(1) stand-in that keeps the table in a file.
  fs::path bin = h.home() / "bin";
  fs::create_directories(bin);
  std::string tab = (h.home() / "crontab.txt").string();
  write_file_atomic(bin / "crontab",
                    "#!/bin/sh\nif [ \"$1\" = -l ]; then [ -f " + tab + " ] && exec cat " + tab +
                        "; echo 'no crontab for you' >&2; exit 1; fi\ncat > " + tab + "\n",
                    fs::perms::owner_all);
  write_file_atomic(tab, "MAILTO=me\n0 3 * * * backup\n");
  std::map<std::string, std::optional<std::string>> path{{"PATH", bin.string() + ":/usr/bin:/bin"}};
  auto dry = h.run({"cron", "install"}, std::nullopt, path);
  CHECK_THAT(dry.out, Catch::Contains("--write"));
  CHECK(read_file(tab) == "MAILTO=me\n0 3 * * * backup\n");
  REQUIRE(h.run({"cron", "install", "--write"}, std::nullopt, path).exit_code == 0);
  REQUIRE(h.run({"cron", "install", "--write", "--poll-every", "10"}, std::nullopt, path).exit_code == 0);
  std::string table = read_file(tab);
  CHECK(table.rfind("MAILTO=me\n0 3 * * * backup\n# >>> crier", 0) == 0);
  CHECK(table.find("*/10 * * * *") != std::string::npos);
  CHECK(table.find("*/5 * * * *") == std::string::npos);  // replaced, not added twice
  CHECK(table.find("analytics refresh -q") != std::string::npos);

  REQUIRE(h.run({"cron", "install", "--systemd", "--write"}).exit_code == 0);
  fs::path units = h.home() / "config/systemd/user";
  CHECK_THAT(read_file(units / "crier-publish.timer"), Catch::Contains("OnCalendar=*-*-* *:*:00"));
  CHECK_THAT(read_file(units / "crier-publish.service"), Catch::Contains("publish --due -q"));
  CHECK_THAT(read_file(units / "crier-analytics.service"), Catch::Contains("analytics refresh -q"));
  CHECK_THAT(read_file(units / "crier-analytics.timer"), Catch::Contains("OnCalendar=*-*-* *:00:00"));
}

TEST_CASE("cron: paths are quoted for the shell and for systemd - a newline or % cannot add a line", "[e2e][cron][injection]") {
  CrierHome h(CRIER_BINARY);
  std::string odd = (h.home() / "it's $HOME \"x\"").string() + "/crier.db";
  auto show = h.run({"--db", odd, "cron", "show"});
  REQUIRE(show.exit_code == 0);
  // The shell cron runs gets the path back exactly as it was.
  std::string line = show.out.substr(show.out.find("* * * * * ") + 10);
  line = line.substr(0, line.find('\n'));
  std::string args = line.substr(line.find(" --db "));
  auto echoed = run_process({"/bin/sh", "-c", "printf '%s\\n' " + args});
  CHECK(echoed.out == "--db\n" + odd + "\npublish\n--due\n-q\n");

  auto systemd = h.run({"--db", odd, "cron", "show", "--systemd"});
  REQUIRE(systemd.exit_code == 0);
  CHECK_THAT(systemd.out, Catch::Contains("--db \"" + (h.home() / "it's $$HOME \\\"x\\\"").string() + "/crier.db\""));

  for (std::string bad : {"/tmp/a\n* * * * * rm -rf ~\n/b.db", "/tmp/100%.db"}) {
    INFO(bad);
    auto r = h.run({"--db", bad, "cron", "show"});
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK(r.out.empty());
  }
  auto pct = h.run({"--db", "/tmp/100%.db", "cron", "show", "--systemd"});
  CHECK(pct.exit_code == 0);
  CHECK_THAT(pct.out, Catch::Contains("/tmp/100%%.db"));
  CHECK(h.run({"--db", "/tmp/a\nb.db", "cron", "show", "--systemd"}).exit_code == 2);
}

TEST_CASE("publish --watch publishes when a post comes due and stops cleanly on SIGTERM", "[e2e][watch]") {
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);
  REQUIRE(h.run({"schedule", "watched", "--at", "in 2s"}).exit_code == 0);
  int pid = h.spawn({"publish", "--watch"});
  REQUIRE(pid > 0);
  bool published = false;
  for (int i = 0; i < 100 && !published; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    published = h.sandbox_state().value("posts", json::array()).size() == 1;
  }
  CHECK(published);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("faults: dropped answers, timeouts after the post was made, 500s and 429s - each post once", "[e2e][faults]") {
  MastodonFake fake;
  fake.ignore_idempotency = true;  // crier alone must keep it exactly once
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "http.timeout_seconds", "1"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  auto post = [&](const std::string& text) { return h.json({"post", text, "--no-card"})["deliveries"][0]; };

  fake.drop_next_status_answer();  // the connection closes before the answer
  CHECK(post("dropped")["result"] == "published");
  fake.slow_next_status_answer(2500);  // made at once, answered after crier gave up
  CHECK(post("slow")["result"] == "published");
  fake.fail("/api/v1/statuses", 500, {}, 2);  // two 500s: this run gives up after two attempts
  CHECK(post("five hundred")["result"] == "retry");
  CHECK(h.json({"publish", "--due"})["deliveries"][0]["result"] == "published");
  fake.fail("/api/v1/statuses", 429, {{"Retry-After", "0"}}, 1);
  CHECK(post("throttled")["result"] == "published");

  std::map<std::string, int> seen;
  for (const auto& st : fake.our_statuses()) ++seen[st["content"].get<std::string>()];
  CHECK(seen == std::map<std::string, int>{{"<p>dropped</p>", 1}, {"<p>slow</p>", 1}, {"<p>five hundred</p>", 1},
                                           {"<p>throttled</p>", 1}});
}

TEST_CASE("draft with an OpenAI-compatible model, shorten what does not fit, schedule the draft, publish", "[e2e][draft]") {
  LoopbackServer llm;
  std::string too_long = "Release day! " + std::string(320, 'x');
  std::vector<json> asked;
  std::mutex mutex;
  llm.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    json body = json::parse(req.body);
    asked.push_back(body);
    std::string prompt = body["messages"].back()["content"];
    std::string content = prompt.find("Rewrite it to fit") != std::string::npos
                              ? json{{"text", "Release day! Version 2.1 is out, faster and kinder."}}.dump()
                              : json{{"variants", {too_long, "Version 2.1 is out: faster publishing, kinder errors."}}}.dump();
    json answer = {{"model", "fake-model-1"},
                   {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
                   {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 40}}}};
    res.set_content(answer.dump(), "application/json");
  });
  llm.server().Get("/article", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><head><title>t</title><script>var x=1;</script></head><body><h1>Crier 2.1</h1>"
                    "<p>Publishing is <b>twice as fast</b> &amp; errors say what to do.</p></body></html>",
                    "text/html; charset=utf-8");
  });
  std::string url = llm.start();
  CrierHome h(CRIER_BINARY);
  h.env["CRIER_LLM_BACKEND"] = "openai";
  h.env["CRIER_LLM_ENDPOINT"] = url + "/v1";
  h.env["CRIER_LLM_MODEL"] = "fake-model";
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);

  auto d = h.json({"draft", "crier 2.1 release", "--for", "bluesky,mastodon", "--variants", "2", "--tone", "warm",
                   "--template", "release", "--var", "project=crier", "--var", "version=2.1"});
  REQUIRE(d["variants"].size() == 2);
  CHECK(d["variants"][0]["fits"] == true);
  CHECK(d["variants"][0]["shortened"] == 1);  // sent back once: 333 graphemes is over Bluesky's 300
  CHECK(d["variants"][0]["parts"][0] == "Release day! Version 2.1 is out, faster and kinder.");
  CHECK(d["text"] == "Release day! Version 2.1 is out, faster and kinder.");
  CHECK(d["model"] == "fake-model-1");
  CHECK(d["calls"] == 2);
  CHECK(d["prompt_tokens"] == 200);
  REQUIRE(asked.size() == 2);
  CHECK(asked[0]["model"] == "fake-model");
  CHECK(asked[0]["response_format"]["type"] == "json_object");
  std::string prompt = asked[0]["messages"].back()["content"];
  CHECK_THAT(prompt, Catch::Contains("Announce version 2.1 of crier") && Catch::Contains("Tone: warm") &&
                         Catch::Contains("bluesky: at most 300 graphemes") && Catch::Contains("2 different variant"));
  CHECK_THAT(asked[1]["messages"].back()["content"].get<std::string>(), Catch::Contains("33 graphemes too long for bluesky"));

  std::string id = std::to_string(d["id"].get<int64_t>());
  CHECK(h.json({"drafts", "list"})["drafts"].size() == 1);
  CHECK(h.json({"drafts", "show", id})["template"] == "release");
  REQUIRE(h.run({"schedule", "draft:" + id, "--at", "in 1h"}).exit_code == 0);
  auto pub = h.run({"publish", "--due"}, std::nullopt, {{"CRIER_NOW", "2099-01-01T00:00:00Z"}});
  CHECK(pub.exit_code == 0);
  CHECK(h.sandbox_state()["posts"][0]["text"] == "Release day! Version 2.1 is out, faster and kinder.");
  CHECK(h.run({"post", "draft:999"}).exit_code == 1);

  // --url: the page's text (not its markup) goes into the prompt; the network's style notes too.
  REQUIRE(h.run({"draft", "--url", url + "/article", "--for", "mastodon"}).exit_code == 0);
  std::string from_page = asked.back()["messages"].back()["content"];
  CHECK_THAT(from_page, Catch::Contains("Publishing is twice as fast & errors say what to do.") &&
                            Catch::Contains("(from " + url + "/article)") && Catch::Contains("CamelCase hashtags"));
  CHECK(from_page.find("var x=1") == std::string::npos);

  // --edit and drafts edit: $EDITOR changes the text, which is what is saved.
  auto edited = h.json({"draft", "tea", "--for", "bluesky", "--edit"}, {{"EDITOR", "sed -i s/Version/Release/"}});
  CHECK(edited["text"] == "Release day! Release 2.1 is out, faster and kinder.");
  std::string eid = std::to_string(edited["id"].get<int64_t>());
  REQUIRE(h.run({"drafts", "edit", eid}, std::nullopt, {{"EDITOR", "sed -i s/kinder/clearer/"}, {"VISUAL", std::nullopt}}).exit_code == 0);
  CHECK(h.json({"drafts", "show", eid})["text"] == "Release day! Release 2.1 is out, faster and clearer.");
  REQUIRE(h.run({"drafts", "rm", eid}).exit_code == 0);
  CHECK(h.run({"drafts", "show", eid}).exit_code == 1);

  // Templates: the shipped ones, a broken one of the user's named with its line.
  CHECK(h.json({"templates", "list"})["templates"].size() == 9);
  write_file_atomic(h.home() / "config/crier/templates/release.mustache", "line one\n{{#open}}\nnever closed\n");
  auto broken = h.run({"draft", "x", "--for", "bluesky", "--template", "release"});
  CHECK(broken.exit_code == 3);
  CHECK_THAT(broken.err, Catch::Contains("template 'release'") && Catch::Contains("line 2"));
}

TEST_CASE("draft with nothing configured and no local Ollama says how to configure a model", "[e2e][draft]") {
  CrierHome h(CRIER_BINARY);
  auto r = h.run({"draft", "anything", "--for", "bluesky"}, std::nullopt,
                 {{"CRIER_LLM_BACKEND", std::nullopt}, {"CRIER_LLM_ENDPOINT", std::nullopt}, {"CRIER_LLM_MODEL", std::nullopt}});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("no language model configured") && Catch::Contains("crier config set llm.backend"));
  auto hosted = h.run({"draft", "anything", "--for", "bluesky", "--model", "anthropic:claude-x"}, std::nullopt,
                      {{"ANTHROPIC_API_KEY", std::nullopt}, {"CRIER_LLM_API_KEY", std::nullopt}});
  CHECK(hosted.exit_code == 3);
  CHECK_THAT(hosted.err, Catch::Contains("no API key for anthropic"));
}

TEST_CASE("mastodon: a bad token is exit 4 and an unreachable instance exit 5", "[e2e][mastodon][exit]") {
  MastodonFake fake;
  CrierHome h(CRIER_BINARY);
  auto bad = h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin"}, std::string("nope\n"));
  CHECK(bad.exit_code == 4);
  CHECK_THAT(bad.err, Catch::Contains("401"));
  CHECK(bad.err.find("nope") == std::string::npos);
  auto down = h.run({"accounts", "add", "mastodon", "--server", "http://127.0.0.1:9", "--secret-stdin"}, std::string("x\n"));
  CHECK(down.exit_code == 5);
  CHECK_THAT(down.err, Catch::Contains("cannot reach"));
  CHECK(h.json({"accounts", "list"})["accounts"].empty());
}

TEST_CASE("mastodon: browser sign-in caught on the loopback redirect", "[e2e][mastodon][auth]") {
  MastodonFake fake;
  CrierHome h(CRIER_BINARY);
  // The "browser" follows the authorization address: the instance redirects it to crier's
  // loopback listener, as a real browser would after the user allows crier.
  std::map<std::string, std::optional<std::string>> browser = {
      {"BROWSER", "curl -sfL -o /dev/null"}, {"DISPLAY", std::nullopt}, {"WAYLAND_DISPLAY", std::nullopt}};
  auto add = h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--alias", "m"}, std::nullopt, browser);
  INFO(add.err);
  REQUIRE(add.exit_code == 0);
  CHECK_THAT(add.err, Catch::Contains("/oauth/authorize?client_id=cid-123"));
  CHECK_THAT(add.out, Catch::Contains("added mastodon:@"));
  CHECK(add.err.find(MastodonFake::k_token) == std::string::npos);
  CHECK(h.run({"accounts", "check", "m"}).exit_code == 0);

  // Refused in the browser: exit 4, says so, nothing stored.
  fake.deny_sign_in = true;
  CrierHome h2(CRIER_BINARY);
  auto denied = h2.run({"accounts", "add", "mastodon", "--server", fake.url()}, std::nullopt, browser);
  CHECK(denied.exit_code == 4);
  CHECK_THAT(denied.err, Catch::Contains("sign-in was not allowed"));
  CHECK(h2.json({"accounts", "list"})["accounts"].empty());

  // No terminal and no browser: a usage error that says how to pipe a token instead.
  auto nobody = h2.run({"accounts", "add", "mastodon", "--server", fake.url()}, std::nullopt,
                       {{"BROWSER", std::nullopt}, {"DISPLAY", std::nullopt}, {"WAYLAND_DISPLAY", std::nullopt}});
  CHECK(nobody.exit_code == 2);
  CHECK_THAT(nobody.err, Catch::Contains("--secret-stdin"));
  auto paste = h2.run({"accounts", "add", "mastodon", "--server", fake.url(), "--paste-code"});
  CHECK(paste.exit_code == 2);
  CHECK_THAT(paste.err, Catch::Contains("--paste-code needs a terminal"));
}

TEST_CASE("bluesky end to end against a PDS fake: one sign-in, facets, poll, reply, metrics", "[e2e][bluesky]") {
  BlueskyFake fake;
  CrierHome h(CRIER_BINARY);
  h.env["CRIER_BLUESKY_CHAT"] = std::string(BlueskyFake::k_chat);
  REQUIRE(h.run({"init"}).exit_code == 0);
  auto add = h.run({"accounts", "add", "bluesky", "--handle", "alice.test", "--server", fake.url(), "--secret-stdin"},
                   std::string(BlueskyFake::k_password) + "\n");
  INFO(add.err);
  REQUIRE(add.exit_code == 0);
  CHECK_THAT(add.out, Catch::Contains("added bluesky:alice.test"));

  // --no-card: tests reach nothing but loopback (link cards have their own test with a local page).
  auto post = h.json({"post", "Hello @bob.test, see https://example.com/some/long/path/to/a/page #crier", "--to", "bluesky",
                      "--no-card"});
  REQUIRE(post["deliveries"][0]["result"] == "published");
  auto record = fake.our_posts().at(0)["value"];
  CHECK(record["facets"].size() == 3);
  CHECK(record["text"] == "Hello @bob.test, see example.com/some/long/path/... #crier");

  fake.add_reply("bob.test", "hi alice!", post["deliveries"][0]["remote_id"]);
  fake.add_mention("carol.test", "ping");
  fake.add_dm("bob.test", "psst");
  CHECK(h.json({"poll"})["new"] == 3);
  CHECK(h.json({"poll"})["new"] == 0);
  auto inbox = h.json({"inbox", "list", "--kind", "reply"});
  REQUIRE(inbox["items"].size() == 1);
  auto reply = h.run({"inbox", "reply", std::to_string(inbox["items"][0]["id"].get<int>()), "thanks bob"});
  INFO(reply.err);
  CHECK(reply.exit_code == 0);
  CHECK(fake.our_posts().back()["value"]["reply"]["parent"]["uri"] == inbox["items"][0]["remote_id"]);
  auto dm = h.json({"inbox", "list", "--kind", "dm"});
  REQUIRE(dm["items"].size() == 1);
  CHECK(h.run({"inbox", "reply", std::to_string(dm["items"][0]["id"].get<int>()), "hi"}).exit_code == 0);
  CHECK(fake.sent_messages().size() == 1);

  fake.set_counts(post["deliveries"][0]["remote_id"], 4, 1, 1, 0);
  CHECK(h.json({"analytics", "refresh"})["posts"] == 1);
  CHECK(h.json({"analytics", "summary"})["accounts"][0]["likes"] == 4);

  // Many runs, still one sign-in: the session is stored and refreshed.
  fake.expire_access();
  CHECK(h.run({"accounts", "check"}).exit_code == 0);
  CHECK(fake.create_session_calls() == 1);
  fake.expire_access();
  fake.expire_refresh();
  auto expired = h.run({"accounts", "check"});
  CHECK(expired.exit_code == 4);
  CHECK_THAT(expired.err + expired.out, Catch::Contains("crier accounts add bluesky --handle alice.test"));
}

TEST_CASE("bluesky: the app password can come from password_cmd in the config", "[e2e][bluesky]") {
  BlueskyFake fake;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  std::ofstream(h.config_file(), std::ios::app)
      << "\n[accounts.\"bluesky:alice.test\"]\npassword_cmd = \"printf '%s\\\\n' " << BlueskyFake::k_password << "\"\n";
  auto add = h.run({"accounts", "add", "bluesky", "--handle", "alice.test", "--server", fake.url()});
  INFO(add.err);
  CHECK(add.exit_code == 0);
  CHECK(fake.create_session_calls() == 1);
  std::ofstream(h.config_file(), std::ios::app) << "\n[accounts.\"bluesky:bob.test\"]\npassword_cmd = \"exit 3\"\n";
  auto bad = h.run({"accounts", "add", "bluesky", "--handle", "bob.test", "--server", fake.url()});
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains("password_cmd"));
  // No password from anywhere and no terminal: a clear usage error.
  auto none = h.run({"accounts", "add", "bluesky", "--handle", "carol.test", "--server", fake.url()});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("--secret-stdin"));
}

TEST_CASE("helper commands are bounded: a hang or silence names the setting and loses nothing", "[e2e][helpers]") {
  BlueskyFake bsky;
  MastodonFake masto;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "general.command_timeout_seconds", "1"}).exit_code == 0);
  std::ofstream(h.config_file(), std::ios::app) << "\n[accounts.\"bluesky:alice.test\"]\npassword_cmd = \"sleep 300\"\n";
  auto start = std::chrono::steady_clock::now();
  auto hang = h.run({"accounts", "add", "bluesky", "--handle", "alice.test", "--server", bsky.url()});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{10});
  CHECK(hang.exit_code == 3);
  check_one_error(hang);
  CHECK_THAT(hang.err, Catch::Contains("password_cmd of bluesky:alice.test did not finish within 1 s"));

  // token_cmd: the Mastodon token asked for at each use, never stored with the account.
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", masto.url(), "--secret-stdin", "--alias", "m"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  std::ofstream(h.config_file(), std::ios::app) << "\n[accounts.m]\ntoken_cmd = \"printf '%s\\\\n' "
                                                 << MastodonFake::k_token << "\"\n";
  REQUIRE(h.run({"post", "via token_cmd", "--to", "m"}).exit_code == 0);
  // A token_cmd that prints nothing: the post waits (queued, no attempt spent) and says why.
  std::string text = read_file(h.config_file());
  text.replace(text.rfind("token_cmd = "), std::string::npos, "token_cmd = \"true\"\n");
  write_file_atomic(h.config_file(), text);
  auto silent = h.json({"post", "waits for the fix", "--to", "m"});
  auto d = silent["deliveries"][0];
  CHECK(d["result"] == "retry");
  CHECK(d["status"] == "queued");
  CHECK(d["attempts"] == 0);
  CHECK_THAT(d["last_error"].get<std::string>(), Catch::Contains("token_cmd of mastodon:"));
  CHECK(masto.our_statuses().size() == 1);
}

TEST_CASE("a full disk or a read-only file system: the right words, exit 75 or 3, nothing lost", "[e2e][files][disk]") {
  // Needs a mount namespace (root, as CI runs) for small tmpfs file systems of its own.
  if (run_process({"unshare", "-m", "true"}).exit_code != 0) {
    WARN("skipped: cannot make a mount namespace here");
    return;
  }
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  std::string crier = CRIER_BINARY, data = h.data_dir().string(), sandbox = data + "/sandbox";
  fs::create_directories(sandbox);
  // The sandbox network's own disk is full: its write fails with ENOSPC, which is temporary.
  std::string script =
      "cp '" + sandbox + "/network.json' '" + data + "/network.saved' && mount -t tmpfs -o size=64k none '" + sandbox +
      "' && cp '" + data + "/network.saved' '" + sandbox + "/network.json' && dd if=/dev/zero of='" + sandbox +
      "/fill' bs=4k 2>/dev/null; '" + crier + "' post 'while the disk is full'; echo \"rc=$?\"; rm '" + sandbox +
      "/fill'; CRIER_NOW=2026-11-22T11:00:00Z '" + crier + "' publish --due --json; echo \"rc=$?\"; "
      // The database's own disk is full, or read-only: said so, not 'move it away'.
      "mkdir -p /tmp/crier-disk-test && mount -t tmpfs -o size=64k none /tmp/crier-disk-test && dd if=/dev/zero "
      "of=/tmp/crier-disk-test/fill bs=4k 2>/dev/null; '" + crier + "' --db /tmp/crier-disk-test/x.db init; "
      "echo \"rc=$?\"; umount /tmp/crier-disk-test; mount -t tmpfs -o ro none /tmp/crier-disk-test; '" + crier +
      "' --db /tmp/crier-disk-test/x.db init; echo \"rc=$?\"";
  ProcessOptions po;
  po.env = {{"HOME", h.home().string()},
            {"XDG_CONFIG_HOME", (h.home() / "config").string()},
            {"XDG_DATA_HOME", (h.home() / "data").string()},
            {"CRIER_NOW", std::string(k_t0)}};
  auto r = run_process({"unshare", "-m", "sh", "-c", script}, po);
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("rc=75"));  // the post: queued to retry
  CHECK_THAT(r.err, Catch::Contains("No space left on device"));
  CHECK_THAT(r.out, Catch::Contains("\"published\": 1"));  // once there is room, it goes out
  CHECK_THAT(r.err, Catch::Contains("the disk holding the database '/tmp/crier-disk-test/x.db' is full"));
  CHECK_THAT(r.err, Catch::Contains("cannot write the database '/tmp/crier-disk-test/x.db': Read-only file system"));
  CHECK(r.err.find("move this one away") == std::string::npos);
  auto posts = h.sandbox_state()["posts"];
  CHECK(posts.size() == 0);  // the sandbox's own disk was the tmpfs, gone with the namespace...
  CHECK(h.json({"queue", "list", "--all"})["deliveries"][0]["status"] == "published");  // ...but it went out
}

TEST_CASE("text from the network is shown, not obeyed: escape sequences in a mention never reach the terminal",
          "[e2e][injection]") {
  MastodonFake fake;
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin", "--alias", "m"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  fake.add_mention("eve\x1b]0;owned\x07@evil.example", "\x1b[2J\x1b[Hhello \xC2\x9B" "31mthere\r\rfake line");
  REQUIRE(h.run({"poll"}).exit_code == 0);
  for (const char* color : {"never", "always"}) {
    // Colour forced on: crier's own colours pass, the sender's sequences do not.
    REQUIRE(h.run({"config", "set", "general.color", color}).exit_code == 0);
    for (const auto& args : std::vector<std::vector<std::string>>{{"inbox", "list"}, {"inbox", "show", "1"}}) {
      auto r = h.run(args);
      INFO(color << ": " << r.out);
      CHECK(r.exit_code == 0);
      std::string out = r.out;
      for (const char* ours : {"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m"})
        for (size_t p; (p = out.find(ours)) != std::string::npos;) out.erase(p, std::string(ours).size());
      CHECK(out.find('\x1b') == std::string::npos);
      CHECK(out.find('\r') == std::string::npos);
      CHECK(out.find("\xC2\x9B") == std::string::npos);
      CHECK_THAT(out, Catch::Contains("^[[2J"));  // shown, so the reader sees something odd is there
    }
  }
  // --json keeps the text as it came, escaped by JSON.
  auto j = h.run({"inbox", "show", "1", "--json"});
  CHECK(j.out.find('\x1b') == std::string::npos);
  CHECK_THAT(j.out, Catch::Contains("\\u001b[2J"));
  CHECK_THAT(j.out, Catch::Contains("\\u009b"));
  CHECK(json::parse(j.out)["text"].get<std::string>().find("\x1b[2J") != std::string::npos);
}

TEST_CASE("messages tell the truth: parse errors in crier's words, retries say what happens next", "[e2e][messages]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "other", "--alias", "o"}).exit_code == 0);
  struct Case {
    std::vector<std::string> args;
    std::string error, hint;
  };
  for (const auto& c : std::vector<Case>{
           {{"post", "hi", "--too", "me"}, "unknown option '--too' for crier post", "did you mean --to?"},
           {{"queue", "cancel"}, "crier queue cancel needs REFS: posts: 10", "crier queue cancel --help"},
           {{"queue", "--limit", "abc"}, "--limit takes a number, not 'abc'", ""},
           {{"schedule", "x", "--every", "daily 09:00", "--count", "0"}, "--count must be a positive number, not '0'", ""},
           {{"publish", "--concurrency", "0"}, "--concurrency must be from 1 to 256, not '0'", ""},
           {{"post", "hi", "there", "me"}, "'there' was not expected after crier post", "quotes"},
           {{"post", "hi", "--to"}, "--to needs a value", ""},
       }) {
    auto r = h.run(c.args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    check_one_error(r);
    CHECK_THAT(r.err, Catch::Contains(c.error));
    CHECK_THAT(r.err, Catch::Contains(c.hint));
    CHECK(r.err.find("Value ") == std::string::npos);  // not CLI11's words
  }
  // help works as a command, and every --help ends with examples and the global options.
  auto help = h.run({"help", "post"});
  CHECK(help.exit_code == 0);
  CHECK(help.out == h.run({"post", "--help"}).out);
  CHECK_THAT(help.out, Catch::Contains("Examples:\n  crier post \"Hello from the terminal\""));
  CHECK_THAT(help.out, Catch::Contains("--config FILE, --db FILE, --json"));
  CHECK_THAT(h.run({"help", "queue", "cancel"}).out, Catch::Contains("crier queue cancel s1 && crier queue restore s1"));

  // A transient failure: queued to retry at a time, and what sends it - never "run it again".
  auto retry = h.run({"post", "flaky", "--to", "me"}, std::nullopt, {{"CRIER_SANDBOX_FAULT", std::string("publish=transient")}});
  CHECK(retry.exit_code == 75);
  CHECK_THAT(retry.err, Catch::Contains("sandbox:me: not published yet"));
  CHECK_THAT(retry.err, Catch::Contains("queued to retry at 2026-11-22 10:0"));
  CHECK_THAT(retry.err, Catch::Contains("crier publish --due sends it, or cron does"));
  CHECK(retry.err.find("try later") == std::string::npos);
  // ...and the queue shows the retry's time, not the original "now".
  auto q = h.json({"queue"})["deliveries"][0];
  auto row = h.run({"queue"}).out;
  CHECK_THAT(row, Catch::Contains("(retry 1)"));
  CHECK(row.find("now") == std::string::npos);
  // A thread prints every part; too long for several accounts names each.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "Sentence number " + std::to_string(i) + " of a long thread. ";
  auto thread = h.run({"post", text, "--to", "o", "--thread"});
  CHECK(thread.exit_code == 0);
  CHECK_THAT(thread.out, Catch::Contains("(a thread of ") && Catch::Contains("  part 2/"));
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "third"}).exit_code == 0);
  auto too_long = h.run({"post", std::string(600, 'x'), "--to", "o,third"});
  CHECK(too_long.exit_code == 2);
  CHECK_THAT(too_long.err, Catch::Contains("text too long for sandbox:other (600/500 graphemes (100 over)) and "
                                           "sandbox:third (600/500 graphemes (100 over))"));
}

namespace {

// Display columns of a line as a terminal shows it: colour sequences take none.
size_t columns(const std::string& line) {
  std::string plain;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      while (i < line.size() && line[i] != 'm') ++i;
      continue;
    }
    plain += line[i];
  }
  size_t n = 0;
  for (unsigned char c : plain) n += (c & 0xC0) != 0x80;  // code points; the test's text is narrow
  return n;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    out.push_back(s.substr(pos, nl - pos));
    pos = nl == std::string::npos ? s.size() : nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("tables on a 120-column terminal: they fit, and colour does not shift the columns", "[e2e][tables]") {
  MastodonFake fake;
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "a-rather-long-handle-for-a-sandbox-account"}).exit_code == 0);
  for (int i = 0; i < 3; ++i)
    REQUIRE(h.run({"schedule", "A long post that goes on and on, about nothing in particular, number " +
                                   std::to_string(i) + ", until it is far wider than any terminal would show.",
                   "--at", "in " + std::to_string(i + 1) + "h", "--to", "me,a-rather-long-handle-for-a-sandbox-account"})
                .exit_code == 0);
  h.run({"post", "failing one", "--to", "me"}, std::nullopt, {{"CRIER_SANDBOX_FAULT", std::string("publish=permanent")}});
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"queue"}, {"queue", "--failed"}, {"accounts", "list"}, {"providers", "list"}, {"config", "get", "--all"}}) {
    auto r = h.run_tty(args, 120, {{"CRIER_NOW", std::string(k_t0)}});
    INFO(Catch::Detail::stringify(args) << "\n" << r.out);
    CHECK(r.exit_code == 0);
    CHECK((r.out.find("\x1b[") != std::string::npos || args[0] != "queue"));  // colour is on
    auto rows = lines_of(r.out);
    REQUIRE(rows.size() >= 2);
    for (const auto& line : rows) CHECK(columns(line) <= 120);
    // Each column starts where its header does, on every row (positions in code points,
    // colour sequences taken out).
    auto cells = [](const std::string& line) {
      std::vector<std::string> cps;
      for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\x1b') {
          while (i < line.size() && line[i] != 'm') ++i;
          continue;
        }
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) cps.emplace_back();
        cps.back() += line[i];
      }
      return cps;
    };
    auto header = cells(rows[0]);
    std::vector<size_t> starts;
    for (size_t i = 2; i < header.size(); ++i)
      if (header[i] != " " && header[i - 1] == " " && header[i - 2] == " ") starts.push_back(i);
    for (size_t r_i = 1; r_i < rows.size(); ++r_i) {
      auto cps = cells(rows[r_i]);
      for (size_t st : starts) {
        if (st >= cps.size()) continue;  // a short last cell
        INFO("row " << r_i << " column at " << st);
        CHECK(cps[st - 1] == " ");
        CHECK(cps[st - 2] == " ");
      }
    }
  }
  // In a pipe nothing is cut.
  auto piped = h.run({"queue"});
  CHECK_THAT(piped.out, Catch::Contains("far wider than any terminal would show."));
}

TEST_CASE("schedule: a date alone ends that day, a rule needs a time, a dry run says when", "[e2e][schedule]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  h.env["CRIER_TIMEZONE"] = "Europe/Berlin";
  auto s = h.json({"schedule", "Office hours today at 4", "--every", "mon,wed,fri 09:00", "--until", "2027-03-31"});
  CHECK(s["until"] == "2027-03-31T21:59:59Z");  // the end of the 31st in Berlin (summer time)
  auto no_time = h.run({"schedule", "x", "--every", "every tuesday"});
  CHECK(no_time.exit_code == 2);
  CHECK_THAT(no_time.err, Catch::Contains("'every tuesday' has no time of day"));
  CHECK_THAT(no_time.err, Catch::Contains("--every 'every tuesday 09:00'"));
  CHECK(h.run({"schedule", "x", "--every", "weekly", "--at", "tue 09:00"}).exit_code == 0);  // --at gives the time
  auto dry = h.run({"schedule", "later", "--at", "tomorrow 9am", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("due 2026-11-23 09:00 CET (2026-11-23T08:00:00Z, in 22h 0m)"));
  CHECK(h.json({"schedule", "later", "--at", "tomorrow 9am", "--dry-run"})["due_at"] == "2026-11-23T08:00:00Z");
}

namespace {

// An OpenAI-compatible model on loopback that streams (server-sent events) when asked to, and
// answers `answers` in turn (the last one again when they run out).
struct StreamingModel {
  LoopbackServer server;
  std::mutex mutex;
  std::vector<std::string> answers;
  size_t next = 0;
  std::string url;
  explicit StreamingModel(std::vector<std::string> a) : answers(std::move(a)) {
    server.server().Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex);
      std::string content = answers[std::min(next++, answers.size() - 1)];
      json body = json::parse(req.body);
      if (!body.value("stream", false)) {
        res.set_content(json{{"model", "fake"},
                             {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}}
                            .dump(),
                        "application/json");
        return;
      }
      std::string sse;
      for (size_t i = 0; i < content.size(); i += 9)
        sse += "data: " + json{{"model", "fake"}, {"choices", {{{"delta", {{"content", content.substr(i, 9)}}}}}}}.dump() +
               "\n\n";
      sse += "data: [DONE]\n\n";
      res.set_content(sse, "text/event-stream");
    });
    url = server.start();
  }
};

}  // namespace

TEST_CASE("drafting: the text streams, not the JSON - variants are posted by number and edited together", "[e2e][draft]") {
  std::string long_one = "A variant that is far too long for Bluesky: " + std::string(300, 'z');
  StreamingModel model({json{{"variants", {"First variant, short.", long_one, "Third one, also short."}}}.dump(),
                        json{{"text", "Second variant, now short."}}.dump()});
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  h.env["CRIER_LLM_BACKEND"] = "openai";
  h.env["CRIER_LLM_ENDPOINT"] = model.url + "/v1";
  h.env["CRIER_LLM_MODEL"] = "fake";
  auto tty = h.run_tty({"draft", "our meetup", "--for", "bluesky", "--variants", "3"}, 120);
  INFO(tty.out);
  CHECK(tty.exit_code == 0);
  CHECK(tty.out.find("{\"variants\"") == std::string::npos);  // never the raw JSON
  CHECK_THAT(tty.out, Catch::Contains("variant 1: ") && Catch::Contains("First variant, short."));
  CHECK_THAT(tty.out, Catch::Contains("shortening variant 2 (344/300 graphemes for bluesky)…"));
  CHECK_THAT(tty.out, Catch::Contains("draft:1.3"));

  // Every variant is there to see and to post.
  auto show = h.run({"drafts", "show", "1"});
  CHECK_THAT(show.out, Catch::Contains("variant 1  draft:1.1") && Catch::Contains("variant 3  draft:1.3") &&
                           Catch::Contains("Second variant, now short.") && Catch::Contains("Third one, also short."));
  auto posted = h.run({"post", "draft:1.3"});
  CHECK(posted.exit_code == 0);
  CHECK(h.sandbox_state()["posts"][0]["text"] == "Third one, also short.");
  CHECK(h.run({"post", "draft:1.9"}).exit_code == 1);
  CHECK(h.run({"post", "draft:1.x"}).exit_code == 2);

  // drafts edit opens every variant; what is too long after the edit is said, per network.
  std::string editor = (h.home() / "editor.sh").string();
  write_file_atomic(editor, "#!/bin/sh\nsed -i 's/Third one, also short./" + std::string(320, 'w') + "/' \"$1\"\n",
                    fs::perms::owner_all);
  auto edited = h.run({"drafts", "edit", "1"}, std::nullopt, {{"EDITOR", editor}});
  CHECK(edited.exit_code == 0);
  CHECK_THAT(edited.err, Catch::Contains("warning: variant 3 is too long for bluesky: 320/300 graphemes (20 over)"));
  auto after = h.json({"drafts", "show", "1"});
  CHECK(after["variants"].size() == 3);
  CHECK(after["variants"][2]["fits"] == false);
  CHECK(after["variants"][0]["parts"][0] == "First variant, short.");
}

TEST_CASE("long work says what it is doing on a terminal, and nothing in a pipe", "[e2e][progress]") {
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  write_png(h.home() / "cat.png", 400);
  auto tty = h.run_tty({"post", "hello", "--image", (h.home() / "cat.png").string(), "--alt", "a cat"}, 120,
                       {{"CRIER_NOW", std::string(k_t0)}});
  CHECK(tty.exit_code == 0);
  CHECK_THAT(tty.out, Catch::Contains("publishing to sandbox:me (uploading 1 image)…"));
  CHECK_THAT(tty.out, Catch::Contains("\r\x1b[K"));  // and the line is cleared after
  auto refresh = h.run_tty({"analytics", "refresh"}, 120, {{"CRIER_NOW", std::string(k_t1d)}});
  CHECK_THAT(refresh.out, Catch::Contains("taking metrics of sandbox:me: 0/1 posts…"));
  auto piped = h.run({"post", "again"});
  CHECK(piped.err.find("publishing to") == std::string::npos);
}

TEST_CASE("post options and titles reach the networks that take them, checked first", "[e2e][options]") {
  BlueskyFake bsky;
  CrierHome h(CRIER_BINARY);
  make_ready(h);
  REQUIRE(h.run({"accounts", "add", "bluesky", "--handle", BlueskyFake::k_handle, "--server", bsky.url(), "--secret-stdin",
                 "--alias", "b"},
                std::string(BlueskyFake::k_password) + "\n")
              .exit_code == 0);
  auto ok = h.run({"post", "with options", "--to", "me,b", "--title", "A title", "--opt", "label=news", "--opt", "pin=true",
                   "--no-card"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  auto p = h.sandbox_state()["posts"][0];
  CHECK(p["title"] == "A title");
  CHECK(p["options"] == json{{"label", "news"}, {"pin", "true"}});
  auto record = bsky.our_posts().at(0);
  CHECK(record.dump().find("news") == std::string::npos);  // Bluesky does not take them
  auto shown = h.json({"queue", "show", "1@me"});
  CHECK(shown["title"] == "A title");
  CHECK(shown["options"]["label"] == "news");
  CHECK_THAT(h.run({"queue", "show", "1@me"}).out, Catch::Contains("option       label = news"));
  // Refused before anything is stored: an option no target takes, a value of the wrong type,
  // a title no target takes.
  std::string before = store_snapshot(h);
  auto unknown = h.run({"post", "x", "--to", "b", "--opt", "label=x"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("--opt label is not an option of any target") &&
                              Catch::Contains("bluesky: none"));
  auto typed = h.run({"post", "x", "--to", "me", "--opt", "pin=maybe"});
  CHECK(typed.exit_code == 2);
  CHECK_THAT(typed.err, Catch::Contains("--opt pin takes true or false on sandbox, not 'maybe'"));
  CHECK(h.run({"post", "x", "--to", "b", "--title", "T"}).exit_code == 2);
  CHECK(h.run({"post", "x", "--to", "me", "--opt", "novalue"}).exit_code == 2);
  CHECK(store_snapshot(h) == before);
  CHECK_THAT(h.run({"post", "--help"}).out, Catch::Contains("sandbox: label, pin"));
}
