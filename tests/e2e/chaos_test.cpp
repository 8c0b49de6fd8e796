// The publishing engine under faults: several `crier publish --due` at once, killed with
// SIGKILL at random moments, against a network that fails, throttles, loses answers and sends
// bodies that are not what its API documents - with the same text posted again and again, as
// recurring posts do. At the end every delivery is published exactly once, as a post that its
// own request made (the network records each request's Idempotency-Key), none is lost (dead,
// failed or missing on the network), and the database is intact. The rounds here are bounded
// for CI; scripts/soak.sh runs longer.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

#include "providers/mastodon/testing/mastodon_fake.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "store/store.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

std::string plain(std::string html) {
  if (html.rfind("<p>", 0) == 0) html = html.substr(3, html.size() - 7);  // "<p>text</p>"
  return html;
}

// Every delivery published, once, as the post its own request made; nothing else on the networks.
void check_exactly_once(CrierHome& h, MastodonFake& fake, const std::map<int64_t, std::string>& network_of,
                        const std::map<int64_t, std::string>& text_of) {
  auto store = open_sqlite_store(h.db_file());
  json sandbox = h.sandbox_state();
  std::map<std::string, json> sandbox_posts;
  for (const auto& p : sandbox.value("posts", json::array())) sandbox_posts[p["id"]] = p;
  std::map<std::string, json> statuses;
  for (const auto& st : fake.our_statuses()) statuses[st["id"]] = st;
  std::set<std::string> claimed;
  int lost = 0, duplicates = 0;
  for (const auto& d : store->list_deliveries({})) {
    INFO("delivery " << d.id << " " << to_string(d.status) << " " << d.remote_id << " " << d.last_error);
    if (d.status != DeliveryStatus::published) {
      ++lost;  // dead, failed or never sent: a lost post
      continue;
    }
    CHECK(claimed.insert(d.remote_id).second);  // no two deliveries share a post
    if (network_of.at(d.account_id) == "mastodon") {
      REQUIRE(statuses.count(d.remote_id) == 1);
      CHECK(plain(statuses[d.remote_id]["content"]) == text_of.at(d.post_id));
      CHECK(fake.key_of(d.remote_id) == d.idempotency_key);  // made by this delivery, not another
    } else {
      REQUIRE(sandbox_posts.count(d.remote_id) == 1);
      CHECK(sandbox_posts[d.remote_id]["text"] == text_of.at(d.post_id));
      CHECK(sandbox_posts[d.remote_id]["key"] == d.idempotency_key);
    }
  }
  CHECK(lost == 0);
  // Nothing made that no delivery recorded: no duplicates anywhere.
  for (const auto& [id, st] : statuses)
    if (!claimed.count(id)) ++duplicates;
  for (const auto& [id, p] : sandbox_posts)
    if (!claimed.count(id)) ++duplicates;
  CHECK(duplicates == 0);
  CHECK(store->integrity_check() == "ok");
}

std::map<int64_t, std::string> networks(CrierHome& h) {
  std::map<int64_t, std::string> out;
  json list = h.json({"accounts", "list"});  // kept: a range-for over a temporary's member dangles
  for (const auto& a : list["accounts"]) out[a["id"]] = a["network"];
  return out;
}

std::map<int64_t, std::string> texts(CrierHome& h) {
  std::map<int64_t, std::string> out;
  auto store = open_sqlite_store(h.db_file());
  for (const auto& d : store->list_deliveries({})) out[d.post_id] = store->find_post(d.post_id)->text;
  return out;
}

void drain(CrierHome& h) {
  for (int i = 0; i < 30; ++i) {
    auto left = h.json({"queue", "list", "--status", "queued", "--status", "publishing"})["deliveries"];
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    h.run({"publish", "--due", "-q"});
  }
}

}  // namespace

TEST_CASE("chaos: SIGKILLed overlapping publishers, a flaky lying network, repeated texts - each post exactly once",
          "[e2e][chaos]") {
  const int rounds = env_int("CRIER_CHAOS_ROUNDS", 100);
  const int per_account = env_int("CRIER_CHAOS_POSTS", 12);
  std::mt19937 rng(static_cast<unsigned>(env_int("CRIER_CHAOS_SEED", 20261122)));

  MastodonFake fake;
  fake.ignore_idempotency = true;  // crier's own reconcile must prevent duplicates
  fake.set_latency_ms(15);
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  // Short leases so killed workers' deliveries come back within the test; no backoff so
  // failed attempts are retried at once; kills count as attempts, so allow many.
  for (auto [k, v] : std::map<std::string, std::string>{{"publish.lease_seconds", "2"},
                                                        {"publish.backoff_seconds", "0"},
                                                        {"publish.max_attempts", "1000"},
                                                        {"http.timeout_seconds", "5"}})
    REQUIRE(h.run({"config", "set", k, v}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin", "--alias", "m"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  std::vector<std::string> sandboxes{"a", "b", "c"};
  for (const auto& s : sandboxes) REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", s}).exit_code == 0);

  // Three texts, over and over: a reconcile by text alone would take one post for another.
  for (int i = 0; i < per_account; ++i) {
    auto r = h.run({"schedule", "office hours " + std::to_string(i % 3), "--at", "now", "--to",
                    "m,sandbox:a,sandbox:b,sandbox:c", "--no-card"});
    REQUIRE(r.exit_code == 0);
  }
  // The network misbehaves: 500s, 429s with Retry-After, answers lost after the post was made.
  fake.fail("/api/v1/statuses", 500, {}, 3);
  fake.fail("/api/v1/statuses", 429, {{"Retry-After", "0"}}, 2);
  h.env["CRIER_SANDBOX_FAULT"] = "publish@b=lost_response";  // b's first answers are lost
  const std::vector<std::string> garbage{"[1,2,3]", R"({"id": 7})", "{}", "<html>Welcome</html>", ""};

  for (int round = 0; round < rounds; ++round) {
    if (round % 5 == 2) fake.lose_next_status_answer();
    if (round % 7 == 3) fake.garble_next_status_answer(garbage[static_cast<size_t>(round) % garbage.size()]);
    if (round % 11 == 5) fake.fail("/api/v1/statuses", 429, {{"Retry-After", "1"}}, 1);
    if (round == rounds / 2) h.env.erase("CRIER_SANDBOX_FAULT");
    std::vector<int> pids;
    int procs = 2 + static_cast<int>(rng() % 3);
    for (int p = 0; p < procs; ++p) pids.push_back(h.spawn({"publish", "--due", "-q", "--concurrency", "3"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 120));
    for (int pid : pids) {
      REQUIRE(pid > 0);
      if (rng() % 3 != 0) ::kill(pid, SIGKILL);
    }
    for (int pid : pids) ::waitpid(pid, nullptr, 0);
  }

  // Let the killed workers' leases run out, then publish until nothing is left.
  h.env.erase("CRIER_SANDBOX_FAULT");
  drain(h);
  auto all = h.json({"queue", "list", "--all"})["deliveries"];
  CHECK(all.size() == static_cast<size_t>(per_account) * 4);
  check_exactly_once(h, fake, networks(h), texts(h));
}

TEST_CASE("chaos: a throttling network under crier's default attempts - waits cost nothing, no post dies",
          "[e2e][chaos][rate-limit]") {
  // 30% of posts answered 429 with Retry-After and a used-up window. Before, every wait was an
  // attempt and the pacer failed the account's other deliveries locally: posts died unsent.
  const int posts = env_int("CRIER_CHAOS_THROTTLED_POSTS", 40);
  MastodonFake fake;
  fake.ignore_idempotency = true;
  fake.throttle(30, 1, static_cast<unsigned>(env_int("CRIER_CHAOS_SEED", 20261122)));
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  // crier's defaults (max_attempts 5), short leases, retries at once after other failures.
  REQUIRE(h.run({"config", "set", "publish.lease_seconds", "2"}).exit_code == 0);
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "mastodon", "--server", fake.url(), "--secret-stdin", "--alias", "m"},
                std::string(MastodonFake::k_token) + "\n")
              .exit_code == 0);
  for (int i = 0; i < posts; ++i)
    REQUIRE(h.run({"schedule", "weekly digest " + std::to_string(i % 2), "--at", "now", "--to", "m"}).exit_code == 0);
  // cron every "minute": overlapping runs, until the queue is empty or a minute and a half passed.
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds{90}) {
    auto left = h.json({"queue", "list", "--status", "queued", "--status", "publishing"})["deliveries"];
    if (left.empty()) break;
    int a = h.spawn({"publish", "--due", "-q"}), b = h.spawn({"publish", "--due", "-q"});
    ::waitpid(a, nullptr, 0);
    ::waitpid(b, nullptr, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  INFO("429s answered: " << fake.throttled());
  CHECK(fake.throttled() >= 5);
  check_exactly_once(h, fake, networks(h), texts(h));
  json all = h.json({"queue", "list", "--all"});
  for (const auto& d : all["deliveries"]) CHECK(d["attempts"].get<int>() <= 5);
}
