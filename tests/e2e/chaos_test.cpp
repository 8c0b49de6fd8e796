// The publishing engine under faults: several `crier publish --due` at once, killed with
// SIGKILL at random moments, against a network that fails, throttles and loses answers. At the
// end every delivery is published exactly once (the networks count), none is lost, and the
// database is intact. The rounds here are bounded for CI; scripts/soak.sh runs longer.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

#include "fakes/mastodon_fake.hpp"
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

// How many statuses the fake holds with each text.
std::map<std::string, int> mastodon_texts(MastodonFake& fake) {
  std::map<std::string, int> n;
  for (const auto& st : fake.our_statuses()) {
    std::string html = st["content"].get<std::string>();
    // "<p>text</p>"
    if (html.rfind("<p>", 0) == 0) html = html.substr(3, html.size() - 7);
    ++n[html];
  }
  return n;
}

std::map<std::string, int> sandbox_texts(const CrierHome& h, const std::string& handle) {
  std::map<std::string, int> n;
  json state = h.sandbox_state();
  if (!state.contains("posts")) return n;
  for (const auto& p : state["posts"])
    if (p.value("author", "") == handle) ++n[p["text"].get<std::string>()];
  return n;
}

}  // namespace

TEST_CASE("chaos: SIGKILLed overlapping publishers, a flaky network - each post exactly once", "[e2e][chaos]") {
  const int rounds = env_int("CRIER_CHAOS_ROUNDS", 100);
  const int per_account = env_int("CRIER_CHAOS_POSTS", 12);
  std::mt19937 rng(static_cast<unsigned>(env_int("CRIER_CHAOS_SEED", 20261122)));

  MastodonFake fake;
  fake.ignore_idempotency = true;  // crier's own reconcile must prevent duplicates
  fake.set_latency_ms(15);
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  // Short leases so killed workers' deliveries come back within the test; no backoff so
  // failed attempts are retried at once.
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

  std::vector<std::string> texts;
  for (int i = 0; i < per_account; ++i) {
    texts.push_back("chaos post " + std::to_string(i));
    auto r = h.run({"schedule", texts.back(), "--at", "now", "--to", "m,sandbox:a,sandbox:b,sandbox:c", "--no-card"});
    REQUIRE(r.exit_code == 0);
  }
  // The network misbehaves: 500s, 429 with Retry-After 0, answers lost after the post was made.
  fake.fail("/api/v1/statuses", 500, {}, 3);
  fake.fail("/api/v1/statuses", 429, {{"Retry-After", "0"}}, 2);
  h.env["CRIER_SANDBOX_FAULT"] = "publish@b=lost_response";  // b's first answers are lost

  for (int round = 0; round < rounds; ++round) {
    if (round % 5 == 2) fake.lose_next_status_answer();
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
  for (int i = 0; i < 20; ++i) {
    auto left = h.json({"queue", "list", "--status", "queued", "--status", "publishing"})["deliveries"];
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    h.run({"publish", "--due", "-q"});
  }

  auto all = h.json({"queue", "list", "--all"})["deliveries"];
  CHECK(all.size() == texts.size() * 4);
  for (const auto& d : all) {
    INFO(d.dump());
    CHECK(d["status"] == "published");
  }
  auto masto = mastodon_texts(fake);
  for (const auto& t : texts) {
    INFO(t);
    CHECK(masto[t] == 1);
    for (const auto& s : sandboxes) CHECK(sandbox_texts(h, s)[t] == 1);
  }
  CHECK(masto.size() == texts.size());
  CHECK(open_sqlite_store(h.db_file())->integrity_check() == "ok");
}
