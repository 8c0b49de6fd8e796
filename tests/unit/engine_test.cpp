// The engine with the sandbox provider and a pinned clock: planning, publishing exactly once
// under faults, polling and answering, analytics.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "config/config.hpp"
#include "engine/accounts.hpp"
#include "engine/analytics.hpp"
#include "engine/composer.hpp"
#include "engine/inbox.hpp"
#include "engine/publisher.hpp"
#include "engine/schedules.hpp"
#include "time/when.hpp"
#include "error.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "store/store.hpp"

using namespace crier;
using namespace crier::testing;
using namespace std::chrono_literals;

namespace {

struct FaultGuard {
  explicit FaultGuard(const char* spec) { ::setenv("CRIER_SANDBOX_FAULT", spec, 1); }
  ~FaultGuard() { ::unsetenv("CRIER_SANDBOX_FAULT"); }
};

// A data dir, store, providers and engine; providers are rebuilt by rebuild() (so a fault set
// in the environment takes effect, as it would in a new process).
struct World {
  TempDir dir;
  FixedClock clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config config = Config::defaults();
  FakeTransport http;  // the sandbox makes no HTTP requests: any request fails the test
  std::unique_ptr<Store> store = open_sqlite_store(dir.path() / "crier.db");
  std::unique_ptr<ProviderSet> providers;
  std::unique_ptr<Engine> engine;

  World() { rebuild(); }
  void rebuild() {
    providers = std::make_unique<ProviderSet>(ProviderEnv{http, clock, config, dir.path()});
    engine.reset(new Engine{*store, *providers, clock, config, dir.path()});
  }
  Account add(const std::string& handle) {
    return add_account(*engine, "sandbox", ConnectRequest{handle, "", ""}, "").account;
  }
  std::vector<Delivery> queue(const std::string& text, std::vector<std::string> to, Timestamp due, bool thread = false) {
    ComposeRequest q;
    q.text = text;
    q.to = std::move(to);
    q.thread = thread;
    PostPlan plan = plan_post(*engine, q);
    return enqueue_post(*engine, plan, std::vector<Timestamp>(plan.targets.size(), due), "UTC");
  }
  size_t network_posts() {
    auto p = dir.path() / "sandbox/network.json";
    if (!std::filesystem::exists(p)) return 0;
    return nlohmann::json::parse(read_file(p))["posts"].size();
  }
};

}  // namespace

TEST_CASE("plan_post checks every target before anything is written", "[engine]") {
  World w;
  w.add("me");
  ComposeRequest q;
  q.text = std::string(501, 'x');
  try {
    plan_post(*w.engine, q);
    FAIL("expected too long");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("501/500 graphemes (1 over)"));
    CHECK_THAT(e.hint(), Catch::Contains("--thread"));
  }
  q.thread = true;
  auto plan = plan_post(*w.engine, q);
  CHECK(plan.targets.at(0).parts.size() == 2);

  q = {};
  q.text = "hello";
  q.to = {"sandbox:nobody"};
  CHECK_THROWS_WITH(plan_post(*w.engine, q), Catch::Contains("unknown account 'sandbox:nobody'"));
  q.to = {};
  q.images = {{(w.dir.path() / "missing.png").string(), "alt"}};
  CHECK_THROWS_WITH(plan_post(*w.engine, q), Catch::Contains("does not exist"));
  q.images = {};
  q.text = "  \n";
  CHECK_THROWS_WITH(plan_post(*w.engine, q), Catch::Contains("empty"));
  CHECK(w.store->list_deliveries({}).empty());
}

TEST_CASE("targets: default_to, the only account, aliases, duplicates", "[engine]") {
  World w;
  w.add("a");
  CHECK(resolve_targets(*w.store, w.config, {}).at(0).handle == "a");
  w.add("b");
  CHECK_THROWS_WITH(resolve_targets(*w.store, w.config, {}), Catch::Contains("say which accounts"));
  CHECK(resolve_targets(*w.store, w.config, {"sandbox:a, sandbox:b", "sandbox:a"}).size() == 2);
  CHECK_THROWS_WITH(resolve_account(*w.store, "sandbox"), Catch::Contains("matches 2 accounts"));
  w.config.set_override("general.default_to", "sandbox:b");
  CHECK(resolve_targets(*w.store, w.config, {}).at(0).handle == "b");
}

TEST_CASE("publish_due publishes what is due, once", "[engine]") {
  World w;
  w.add("me");
  w.queue("now", {}, w.clock.now());
  w.queue("later", {}, w.clock.now() + 1h);
  auto report = publish_due(*w.engine, {});
  REQUIRE(report.outcomes.size() == 1);
  CHECK(report.outcomes[0].result == "published");
  CHECK(report.exit_code() == 0);
  CHECK(publish_due(*w.engine, {}).outcomes.empty());
  w.clock.advance(1h);
  CHECK(publish_due(*w.engine, {}).outcomes.size() == 1);
  CHECK(publish_due(*w.engine, {}).outcomes.empty());
  CHECK(w.network_posts() == 2);
}

TEST_CASE("transient failures back off, then die after max attempts", "[engine]") {
  World w;
  w.add("me");
  w.config.set_override("publish.max_attempts", "3");
  w.queue("hello", {}, w.clock.now());
  FaultGuard fault("publish=transient");
  w.rebuild();
  auto r1 = publish_due(*w.engine, {});
  REQUIRE(r1.outcomes.size() == 1);
  CHECK(r1.outcomes[0].result == "retry");
  CHECK(r1.exit_code() == 75);
  auto next = *r1.outcomes[0].delivery.next_attempt_at;
  CHECK(next >= w.clock.now() + 48s);  // backoff 60s with jitter
  CHECK(publish_due(*w.engine, {}).outcomes.empty());  // not before next_attempt_at
  w.clock.set(next);
  CHECK(publish_due(*w.engine, {}).outcomes.at(0).result == "retry");
  w.clock.advance(1h);
  auto r3 = publish_due(*w.engine, {});
  CHECK(r3.outcomes.at(0).result == "dead");
  CHECK(r3.exit_code() == 6);
  auto d = w.store->list_deliveries({}).at(0);
  CHECK(d.status == DeliveryStatus::dead);
  CHECK(d.attempts == 3);
  CHECK_THAT(d.last_error, Catch::Contains("injected transient"));
  CHECK(w.network_posts() == 0);
}

TEST_CASE("rate limits honour Retry-After", "[engine]") {
  World w;
  w.add("me");
  w.queue("hello", {}, w.clock.now());
  FaultGuard fault("publish=rate_limited");
  w.rebuild();
  auto r = publish_due(*w.engine, {});
  CHECK(r.outcomes.at(0).result == "retry");
  CHECK(*r.outcomes[0].delivery.next_attempt_at >= w.clock.now() + 120s);
}

TEST_CASE("permanent failures fail at once with the message - auth pauses the account", "[engine]") {
  World w;
  w.add("a");
  w.add("b");
  w.queue("hello", {"sandbox:a", "sandbox:b"}, w.clock.now());
  {
    FaultGuard fault("publish@a=permanent,publish@b=auth");
    w.rebuild();
    auto r = publish_due(*w.engine, {});
    REQUIRE(r.outcomes.size() == 2);
    CHECK(r.outcomes[0].result == "failed");
    CHECK(r.outcomes[1].result == "paused");
    CHECK_THAT(r.outcomes[1].hint, Catch::Contains("crier accounts add sandbox --handle b"));
    CHECK(r.exit_code() == 6);
  }
  CHECK(w.store->find_account(2)->status == "auth_failed");
  w.rebuild();
  CHECK(publish_due(*w.engine, {}).outcomes.empty());  // paused until reconnected
  auto again = add_account(*w.engine, "sandbox", ConnectRequest{"b", "", ""}, "");
  CHECK(again.reconnected);
  auto r = publish_due(*w.engine, {});
  REQUIRE(r.outcomes.size() == 1);
  CHECK(r.outcomes[0].result == "published");
  CHECK(w.network_posts() == 1);
}

TEST_CASE("a lost answer never becomes a duplicate", "[engine][exactly-once]") {
  World w;
  w.add("me");
  w.queue("hello", {}, w.clock.now());
  {
    FaultGuard fault("publish=lost_response");
    w.rebuild();
    CHECK(publish_due(*w.engine, {}).outcomes.at(0).result == "retry");
  }
  CHECK(w.network_posts() == 1);  // the network did take it
  w.rebuild();
  w.clock.advance(1h);
  auto r = publish_due(*w.engine, {});
  CHECK(r.outcomes.at(0).result == "published");
  CHECK(w.network_posts() == 1);  // the retry collided with the first write
}

TEST_CASE("an interrupted attempt is reconciled before anything is sent again", "[engine][exactly-once]") {
  World w;
  w.add("me");
  auto d = w.queue("hello", {}, w.clock.now()).at(0);
  // A worker took the lease, posted, and died before recording the outcome.
  auto lease = w.store->claim_due(w.clock.now(), "dead-worker", w.clock.now() + 5min);
  REQUIRE(lease);
  Session s = open_session(*w.engine, *w.store->find_account(lease->delivery.account_id));
  PublishRequest q{lease->delivery.idempotency_key, {{"hello", {}}}};
  auto first = w.providers->get("sandbox").publish(s, q);
  CHECK(publish_due(*w.engine, {}).outcomes.empty());  // the lease still holds
  w.clock.advance(6min);
  auto r = publish_due(*w.engine, {});
  REQUIRE(r.outcomes.size() == 1);
  CHECK(r.outcomes[0].result == "published");
  CHECK(r.outcomes[0].reconciled);
  CHECK(r.outcomes[0].delivery.remote_id == first.parts[0].remote_id);
  CHECK(w.network_posts() == 1);
}

TEST_CASE("several workers at once publish each delivery exactly once", "[engine][exactly-once]") {
  World w;
  w.add("a");
  w.add("b");
  for (int i = 0; i < 20; ++i) w.queue("post " + std::to_string(i), {"sandbox:a", "sandbox:b"}, w.clock.now());
  std::vector<std::thread> workers;
  std::atomic<int> published{0};
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      // Each worker has its own connection, as separate processes would.
      auto store = open_sqlite_store(w.dir.path() / "crier.db");
      FakeTransport http;
      ProviderSet providers(ProviderEnv{http, w.clock, w.config, w.dir.path()});
      Engine engine{*store, providers, w.clock, w.config, w.dir.path()};
      for (const auto& o : publish_due(engine, {}).outcomes)
        if (o.result == "published") ++published;
    });
  for (auto& t : workers) t.join();
  CHECK(published == 40);
  CHECK(w.network_posts() == 40);
  DeliveryFilter f;
  f.statuses = {DeliveryStatus::published};
  CHECK(w.store->list_deliveries(f).size() == 40);
  CHECK(w.store->integrity_check() == "ok");
}

TEST_CASE("threads are published part by part", "[engine]") {
  World w;
  w.add("me");
  std::string text;
  for (int i = 0; i < 30; ++i) text += "This is sentence number " + std::to_string(i) + " of a long thread. ";
  w.queue(text, {}, w.clock.now(), true);
  auto r = publish_due(*w.engine, {});
  CHECK(r.outcomes.at(0).result == "published");
  auto posts = nlohmann::json::parse(read_file(w.dir.path() / "sandbox/network.json"))["posts"];
  REQUIRE(posts.size() == 3);  // 1,350 graphemes in parts of at most 500
  CHECK(posts[0]["reply_to"] == "");
  for (size_t i = 1; i < posts.size(); ++i) CHECK(posts[i]["reply_to"] == posts[i - 1]["id"]);
}

TEST_CASE("poll fetches each item once and moves the cursor - replies go to the thread", "[engine][inbox]") {
  World w;
  w.add("me");
  w.queue("hello", {}, w.clock.now());
  publish_due(*w.engine, {});
  w.clock.advance(24h);
  auto first = poll_inbox(*w.engine, {});
  int added = 0;
  for (const auto& r : first) {
    CHECK(r.error.empty());
    added += r.added;
  }
  CHECK(added > 0);
  for (const auto& r : poll_inbox(*w.engine, {})) CHECK(r.added == 0);
  CHECK(w.store->cursor(1, "mentions"));

  auto items = w.store->list_inbox({});
  REQUIRE_FALSE(items.empty());
  auto dm = std::find_if(items.begin(), items.end(), [](const InboxItem& i) { return i.kind == "dm"; });
  REQUIRE(dm != items.end());
  auto out = reply_to_item(*w.engine, dm->id, "Sure, happy to!");
  CHECK(out.item.status == "replied");
  auto posts = nlohmann::json::parse(read_file(w.dir.path() / "sandbox/network.json"))["posts"];
  CHECK(posts.back()["conversation"] == dm->thread_id);
  CHECK(posts.back()["text"] == "Sure, happy to!");

  CHECK_THROWS_WITH(reply_to_item(*w.engine, dm->id, std::string(600, 'x')), Catch::Contains("too long"));
  CHECK_THROWS_AS(reply_to_item(*w.engine, 9999, "x"), Error);
}

TEST_CASE("replies to our posts link back to their delivery", "[engine][inbox]") {
  World w;
  w.add("me");
  // Several posts, so at least one gets simulated replies.
  for (int i = 0; i < 6; ++i) w.queue("post " + std::to_string(i), {}, w.clock.now());
  publish_due(*w.engine, {});
  w.clock.advance(24h);
  PollOptions o;
  o.streams = {InboxStream::replies};
  poll_inbox(*w.engine, o);
  auto items = w.store->list_inbox({});
  REQUIRE_FALSE(items.empty());
  for (const auto& i : items) {
    CHECK(i.kind == "reply");
    CHECK(i.delivery_id);
  }
}

TEST_CASE("analytics refresh snapshots posts and followers - summary adds them up", "[engine][analytics]") {
  World w;
  w.add("me");
  w.queue("hello", {}, w.clock.now());
  publish_due(*w.engine, {});
  w.clock.advance(12h);
  auto r = refresh_metrics(*w.engine, w.clock.now() - 24h * 30);
  CHECK(r.errors.empty());
  CHECK(r.posts == 1);
  CHECK(r.accounts == 1);
  w.clock.advance(12h);
  refresh_metrics(*w.engine, w.clock.now() - 24h * 30);
  auto summary = summarize(*w.engine, w.clock.now() - 24h * 30);
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].posts == 1);
  CHECK(summary[0].likes > 0);
  REQUIRE(summary[0].followers);
  CHECK(*summary[0].followers_change >= 0);
}

TEST_CASE("concurrent publishing: every delivery once, one account's in due order", "[engine][concurrency]") {
  World w;
  std::vector<std::string> handles{"a", "b", "c", "d", "e"};
  for (const auto& h : handles) w.add(h);
  Timestamp base = w.clock.now() - 1h;
  for (int i = 0; i < 8; ++i)
    for (const auto& h : handles) w.queue(h + " post " + std::to_string(i), {"sandbox:" + h}, base + std::chrono::seconds{i});
  PublishOptions o;
  o.concurrency = 4;
  o.make_worker = [&w] {
    auto kit = std::make_unique<WorkerKit>();
    kit->store = open_sqlite_store(w.dir.path() / "crier.db");
    kit->http = std::make_unique<FakeTransport>();
    kit->providers = std::make_unique<ProviderSet>(ProviderEnv{*kit->http, w.clock, w.config, w.dir.path()});
    kit->engine.reset(new Engine{*kit->store, *kit->providers, w.clock, w.config, w.dir.path()});
    return kit;
  };
  PublishReport r = publish_due(*w.engine, o);
  CHECK(r.outcomes.size() == 40);
  CHECK(r.exit_code() == 0);
  CHECK(w.network_posts() == 40);
  // The network's order of each account's posts is the due order.
  auto state = nlohmann::json::parse(read_file(w.dir.path() / "sandbox/network.json"));
  std::map<std::string, int> next;
  for (const auto& p : state["posts"]) {
    std::string author = p["author"];
    CHECK(p["text"] == author + " post " + std::to_string(next[author]++));
  }
}

TEST_CASE("recurring: the next occurrence is added when one comes due, ended by count", "[engine][schedule]") {
  World w;
  w.add("me");
  ComposeRequest q;
  q.text = "tip of the day";
  PostPlan plan = plan_post(*w.engine, q);
  RecurringRequest rq;
  rq.rule = "daily 11:00";
  rq.start = w.clock.now();
  rq.count = 2;
  rq.tz = resolve_time_zone("UTC");
  RecurringPlan rp = schedule_recurring(*w.engine, plan, rq);
  CHECK(format_utc(rp.first_at) == "2026-11-22T11:00:00Z");
  CHECK(extend_schedules(*w.engine, w.clock.now()) == 0);  // nothing due yet
  w.clock.set(*parse_iso8601("2026-11-22T11:00:05Z"));
  CHECK(publish_due(*w.engine, {}).outcomes.size() == 1);
  auto sched = w.store->find_schedule(rp.schedule.id);
  CHECK(sched->occurrences == 2);
  CHECK(sched->status == "ended");  // count reached: no third
  // Three days late: the pending one is published once, late; no burst.
  w.clock.set(*parse_iso8601("2026-11-26T12:00:00Z"));
  CHECK(publish_due(*w.engine, {}).outcomes.size() == 1);
  CHECK(w.network_posts() == 2);
  CHECK_FALSE(w.store->next_due_time());
}

TEST_CASE("waiting on a rate limit costs no attempts: the account waits as a whole", "[engine][rate-limit]") {
  World w;
  w.add("me");
  w.config.set_override("publish.max_attempts", "1");  // one counted attempt would kill a post
  for (auto text : {"one", "two", "three"}) w.queue(text, {}, w.clock.now());
  {
    FaultGuard fault("publish=rate_limited");  // the network says: come back in 120 s
    w.rebuild();
    auto r = publish_due(*w.engine, {});
    REQUIRE(r.outcomes.size() == 1);  // the others are not claimed while the account waits
    CHECK(r.outcomes[0].result == "retry");
    CHECK(r.exit_code() == 75);
    for (const auto& d : w.store->list_deliveries({})) {
      CHECK(d.status == DeliveryStatus::queued);
      CHECK(d.attempts == 0);
    }
    CHECK(w.store->find_account(1)->rate_limited_until == w.clock.now() + 120s);
    CHECK(w.store->next_due_time() == w.clock.now() + 120s);  // --watch sleeps until the reset
    w.clock.advance(60s);
    CHECK(publish_due(*w.engine, {}).outcomes.empty());
    w.clock.advance(61s);
    auto again = publish_due(*w.engine, {});  // still limited: waits again, still no attempt spent
    CHECK(again.outcomes.size() == 1);
    CHECK(w.store->list_deliveries({}).at(0).status == DeliveryStatus::queued);
  }
  w.rebuild();
  w.clock.advance(121s);
  auto r = publish_due(*w.engine, {});
  CHECK(r.outcomes.size() == 3);
  for (const auto& o : r.outcomes) CHECK(o.result == "published");
  CHECK(w.network_posts() == 3);
}

TEST_CASE("a Retry-After is believed up to publish.max_wait_seconds", "[engine][rate-limit]") {
  World w;
  w.add("me");
  w.config.set_override("publish.max_wait_seconds", "60");
  w.queue("hello", {}, w.clock.now());
  FaultGuard fault("publish=rate_limited");  // 120 s
  w.rebuild();
  auto r = publish_due(*w.engine, {});
  CHECK(*r.outcomes.at(0).delivery.next_attempt_at == w.clock.now() + 60s);
}

TEST_CASE("a delivery whose outcome is unknown is looked for before it is declared dead", "[engine][exactly-once]") {
  World w;
  w.add("me");
  w.config.set_override("publish.max_attempts", "1");
  w.queue("hello", {}, w.clock.now());
  FaultGuard fault("publish=lost_response");  // made on the network, answer lost
  w.rebuild();
  auto r = publish_due(*w.engine, {});
  REQUIRE(r.outcomes.size() == 1);
  CHECK(r.outcomes[0].result == "published");
  CHECK(r.outcomes[0].reconciled);
  CHECK(w.store->list_deliveries({}).at(0).status == DeliveryStatus::published);
  CHECK(w.network_posts() == 1);
}

TEST_CASE("an unknown outcome stays unknown until a reconcile finishes, whatever fails in between", "[engine][exactly-once]") {
  World w;
  w.add("me");
  w.queue("hello", {}, w.clock.now());
  {
    FaultGuard fault("publish=lost_response");
    w.rebuild();
    CHECK(publish_due(*w.engine, {}).outcomes.at(0).result == "retry");
  }
  CHECK(w.store->list_deliveries({}).at(0).outcome_unknown);
  {
    FaultGuard fault("verify=rate_limited");  // the next attempt's reconcile is rate limited
    w.rebuild();
    w.clock.advance(1h);
    CHECK(publish_due(*w.engine, {}).outcomes.at(0).result == "retry");
  }
  auto d = w.store->list_deliveries({}).at(0);
  CHECK(d.last_error_kind == "rate_limited");
  CHECK(d.outcome_unknown);  // still: nobody has looked yet
  w.rebuild();
  w.clock.advance(1h);
  auto r = publish_due(*w.engine, {});
  CHECK(r.outcomes.at(0).result == "published");
  CHECK(r.outcomes.at(0).reconciled);  // looked first, did not send blind
  CHECK(w.network_posts() == 1);
}

TEST_CASE("a published thread keeps every part's id", "[engine]") {
  World w;
  w.add("me");
  std::string text;
  for (int i = 0; i < 60; ++i) text += "This sentence is one of many. ";
  w.queue(text, {}, w.clock.now(), true);
  auto r = publish_due(*w.engine, {});
  auto d = w.store->list_deliveries({}).at(0);
  REQUIRE(d.remote_parts.size() >= 2);
  CHECK(d.remote_parts[0].id == d.remote_id);
  CHECK(d.remote_parts[1].id != d.remote_id);
  CHECK(w.network_posts() == d.remote_parts.size());
}

TEST_CASE("a reconnect hint names the account once, even when its handle holds a placeholder", "[engine]") {
  Account a;
  a.network = "facebook";
  a.handle = "THENAMESHOP";  // holds NAME: replacing until none is left would never end
  std::string hint = reconnect_hint(a);
  CHECK_THAT(hint, Catch::Contains("--page THENAMESHOP "));
  a.network = "mastodon";
  a.handle = "HANDLE";
  a.server = "https://INSTANCE.example";
  CHECK_THAT(reconnect_hint(a), Catch::Contains("INSTANCE.example"));
}
