#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <sqlite3.h>

#include "error.hpp"
#include "fakes/temp_home.hpp"
#include "store/store.hpp"

using namespace crier;
using crier::testing::TempDir;

namespace {

Timestamp t0() { return from_unix(1'800'000'000); }

Account make_account(const std::string& handle) {
  Account a;
  a.network = "sandbox";
  a.handle = handle;
  a.created_at = t0();
  return a;
}

// One post with one queued delivery per account id, due at `due`.
int64_t queue_post(Store& s, const std::vector<int64_t>& accounts, Timestamp due, const std::string& text = "hi") {
  Post p;
  p.text = text;
  p.created_at = t0();
  std::vector<Delivery> ds;
  int n = 0;
  for (auto id : accounts) {
    Delivery d;
    d.account_id = id;
    d.due_at = due;
    d.idempotency_key = "key-" + text + "-" + std::to_string(id) + "-" + std::to_string(n++);
    d.created_at = t0();
    ds.push_back(d);
  }
  s.add_post(p, ds);
  return p.id;
}

}  // namespace

TEST_CASE("a new database is created 0600, in WAL mode, at the latest schema", "[store]") {
  TempDir dir;
  auto path = dir.path() / "sub/crier.db";
  auto store = open_sqlite_store(path);
  CHECK(store->schema_version() == static_cast<int>(embedded_migrations().size()));
  CHECK(store->integrity_check() == "ok");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
  sqlite3_step(s);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_CASE("migrations run up from every earlier version and keep the data", "[store]") {
  int latest = static_cast<int>(embedded_migrations().size());
  for (int from = 0; from < latest; ++from) {
    DYNAMIC_SECTION("from version " << from) {
      TempDir dir;
      auto path = dir.path() / "crier.db";
      int64_t account_id = 0;
      {
        auto old = open_sqlite_store(path, from);
        CHECK(old->schema_version() == from);
      }
      if (from >= 1) {
        // Rows as that version wrote them (today's store code speaks only today's schema): an
        // account, and a delivery whose last attempt timed out.
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        const char* sql =
            "INSERT INTO accounts (network, handle, server, created_at) VALUES ('sandbox', 'me', 'local', 0);"
            "INSERT INTO posts (text, created_at) VALUES ('hello', 0);"
            "INSERT INTO deliveries (post_id, account_id, status, due_at, idempotency_key, created_at, "
            "last_error_kind) VALUES (1, 1, 'queued', 0, 'k1', 0, 'transient');";
        REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
        account_id = sqlite3_last_insert_rowid(db) > 0 ? 1 : 0;
        sqlite3_close(db);
      }
      auto store = open_sqlite_store(path);
      CHECK(store->schema_version() == latest);
      CHECK(store->integrity_check() == "ok");
      if (from >= 1) {
        CHECK(store->find_account(account_id));
        auto d = store->find_delivery(1);
        REQUIRE(d);
        // A timed-out attempt is reconciled after the upgrade to 5 too (from 5 on, crier
        // writes outcome_unknown itself).
        if (from < 5) CHECK(d->outcome_unknown);
        CHECK(d->remote_parts.empty());
      }
      // Migrating again is a no-op.
      store.reset();
      CHECK(open_sqlite_store(path)->schema_version() == latest);
    }
  }
}

TEST_CASE("a database from a newer crier is refused, not damaged", "[store]") {
  TempDir dir;
  auto path = dir.path() / "crier.db";
  open_sqlite_store(path).reset();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  CHECK_THROWS_WITH(open_sqlite_store(path), Catch::Contains("newer crier"));
}

TEST_CASE("a file that is not a database is a config error naming it", "[store]") {
  TempDir dir;
  auto path = dir.path() / "crier.db";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not sqlite, just some text that is long enough to be a header......", f);
  std::fclose(f);
  try {
    open_sqlite_store(path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.what(), Catch::Contains(path.string()));
  }
}

TEST_CASE("accounts: unique names and aliases, secrets kept apart, cascade on remove", "[store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  Account a = make_account("me");
  a.alias = "main";
  int64_t id = s->add_account(a, R"({"token":"t1"})");
  CHECK_THROWS_AS(s->add_account(make_account("me"), "{}"), Error);
  Account b = make_account("other");
  b.alias = "main";
  CHECK_THROWS_WITH(s->add_account(b, "{}"), Catch::Contains("alias"));
  CHECK(s->list_accounts().size() == 1);  // the failed adds left nothing behind
  CHECK(s->find_account_by_alias("main")->id == id);
  CHECK(s->secret(id) == std::optional<std::string>(R"({"token":"t1"})"));
  s->set_secret(id, R"({"token":"t2"})", t0());
  CHECK(s->secret(id) == std::optional<std::string>(R"({"token":"t2"})"));

  queue_post(*s, {id}, t0());
  s->remove_account(id);
  CHECK_FALSE(s->find_account(id));
  CHECK_FALSE(s->secret(id));
  CHECK(s->list_deliveries({}).empty());
}

TEST_CASE("a delivery for a network's own scheduling is claimable its lead before it is due", "[store]") {
  using std::chrono::hours;
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s->add_account(make_account("a"), "{}");
  int64_t b = s->add_account(make_account("b"), "{}");
  Timestamp due = t0() + hours{24 * 40};
  Post p;
  p.text = "later";
  p.created_at = t0();
  std::vector<Delivery> ds(2);
  for (int i = 0; i < 2; ++i) {
    ds[i].account_id = i == 0 ? a : b;
    ds[i].due_at = due;
    ds[i].idempotency_key = "native-" + std::to_string(i);
    ds[i].created_at = t0();
  }
  ds[0].native_lead = 28 * 24 * 3600;  // a's network schedules it; b's does not
  s->add_post(p, ds);
  CHECK(s->find_delivery(ds[0].id)->native_lead == std::optional<int64_t>(28 * 24 * 3600));
  CHECK_FALSE(s->find_delivery(ds[1].id)->native_lead);
  CHECK(s->next_due_time() == std::optional<Timestamp>(due - hours{24 * 28}));
  auto lease_until = due + hours{1};
  CHECK_FALSE(s->claim_due(due - hours{24 * 28} - std::chrono::seconds{1}, "w", lease_until));
  auto l = s->claim_due(due - hours{24 * 28}, "w", lease_until);
  REQUIRE(l);
  CHECK(l->delivery.id == ds[0].id);
  CHECK_FALSE(s->claim_due(due - hours{24}, "w", lease_until));  // b's waits for its time
  // Put back to wait for its time (too close for the network): next_attempt_at holds it.
  AttemptFailure f{DeliveryStatus::queued, "temporary", "too close", due};
  f.counted = false;
  CHECK(s->mark_unsuccessful(ds[0].id, "w", f));
  CHECK_FALSE(s->claim_due(due - hours{1}, "w", lease_until));
  CHECK(s->reschedule_delivery(ds[0].id, due + hours{2}));  // known not handed over: it may move
  auto again = s->claim_due(due + hours{2} - hours{24 * 28}, "w", due + hours{3});
  REQUIRE(again);
  AttemptFailure unknown{DeliveryStatus::queued, "transient", "timeout", std::nullopt};
  unknown.outcome_unknown = true;
  CHECK(s->mark_unsuccessful(ds[0].id, "w", unknown));
  // It may be scheduled on the network for its time: moving it would make a second post.
  CHECK_FALSE(s->reschedule_delivery(ds[0].id, due + hours{5}));
  CHECK(s->reschedule_delivery(ds[1].id, due + hours{5}));  // not handed over early: it may
  CHECK(s->claim_due(due + hours{2}, "w", due + hours{4}));
}

TEST_CASE("leases: one owner per delivery, outcomes only from the owner", "[store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s->add_account(make_account("a"), "{}");
  int64_t post = queue_post(*s, {a}, t0());
  auto lease_until = t0() + std::chrono::minutes{5};

  CHECK_FALSE(s->claim_due(t0() - std::chrono::seconds{1}, "w1", lease_until));  // not due yet
  auto l1 = s->claim_due(t0(), "w1", lease_until);
  REQUIRE(l1);
  CHECK_FALSE(l1->reclaimed);
  CHECK(l1->delivery.attempts == 1);
  CHECK(l1->delivery.post_id == post);
  CHECK_FALSE(s->claim_due(t0(), "w2", lease_until));  // held by w1

  SECTION("the owner records the outcome; nobody else can") {
    CHECK_FALSE(s->mark_published(l1->delivery.id, "w2", {{"r1", ""}}, t0()));
    CHECK(s->mark_published(l1->delivery.id, "w1", {{"r1", "https://x/r1"}}, t0()));
    auto d = s->find_delivery(l1->delivery.id);
    CHECK(d->status == DeliveryStatus::published);
    CHECK(d->remote_id == "r1");
    CHECK(d->lease_owner.empty());
    CHECK_FALSE(s->claim_due(t0() + std::chrono::hours{1}, "w2", lease_until));
    CHECK(s->delivery_by_remote_id(a, "r1") == std::optional<int64_t>(l1->delivery.id));
  }
  SECTION("an expired lease is reclaimed and flagged for reconcile") {
    auto later = lease_until + std::chrono::seconds{1};
    auto l2 = s->claim_due(later, "w2", later + std::chrono::minutes{5});
    REQUIRE(l2);
    CHECK(l2->reclaimed);
    CHECK(l2->delivery.attempts == 2);
    CHECK_FALSE(s->mark_published(l1->delivery.id, "w1", {{"late", ""}}, later));  // w1 lost it
    CHECK(s->mark_published(l1->delivery.id, "w2", {{"r2", ""}}, later));
  }
  SECTION("a retry waits for next_attempt_at") {
    auto next = t0() + std::chrono::minutes{2};
    CHECK(s->mark_unsuccessful(l1->delivery.id, "w1", AttemptFailure{DeliveryStatus::queued, "transient", "HTTP 503", next}));
    CHECK_FALSE(s->claim_due(t0() + std::chrono::minutes{1}, "w1", lease_until));
    CHECK(s->next_due_time() == std::optional<Timestamp>(next));
    auto l2 = s->claim_due(next, "w1", next + std::chrono::minutes{5});
    REQUIRE(l2);
    CHECK_FALSE(l2->reclaimed);
  }
  SECTION("paused accounts are skipped") {
    CHECK(s->mark_unsuccessful(l1->delivery.id, "w1", AttemptFailure{DeliveryStatus::queued, "auth", "401", std::nullopt}));
    s->set_account_status(a, "auth_failed");
    CHECK_FALSE(s->claim_due(t0(), "w1", lease_until));
    s->set_account_status(a, "active");
    CHECK(s->claim_due(t0(), "w1", lease_until));
  }
}

TEST_CASE("cancel and retry change only the states they should", "[store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s->add_account(make_account("a"), "{}");
  queue_post(*s, {a}, t0() + std::chrono::hours{1});
  auto d = s->list_deliveries({}).at(0);
  CHECK_FALSE(s->retry_delivery(d.id, t0()));
  CHECK(s->cancel_delivery(d.id));
  CHECK_FALSE(s->cancel_delivery(d.id));
  CHECK(s->find_delivery(d.id)->status == DeliveryStatus::cancelled);
  CHECK_FALSE(s->next_due_time());

  queue_post(*s, {a}, t0(), "second");
  auto l = s->claim_due(t0(), "w", t0() + std::chrono::minutes{5});
  REQUIRE(l);
  s->mark_unsuccessful(l->delivery.id, "w", AttemptFailure{DeliveryStatus::dead, "transient", "gave up", std::nullopt});
  CHECK(s->retry_delivery(l->delivery.id, t0() + std::chrono::hours{2}));
  auto again = s->find_delivery(l->delivery.id);
  CHECK(again->status == DeliveryStatus::queued);
  CHECK(again->attempts == 0);
  CHECK(again->due_at == t0() + std::chrono::hours{2});
}

TEST_CASE("inbox items are kept once per account and remote id - cursors persist", "[store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s->add_account(make_account("a"), "{}");
  InboxItem i;
  i.account_id = a;
  i.kind = "reply";
  i.remote_id = "r-1";
  i.author = "ada";
  i.text = "hello";
  i.created_at = t0();
  i.fetched_at = t0();
  CHECK(s->add_inbox_item(i));
  InboxItem dup = i;
  CHECK_FALSE(s->add_inbox_item(dup));
  i.remote_id = "r-2";
  i.kind = "dm";
  i.created_at = t0() + std::chrono::minutes{1};
  CHECK(s->add_inbox_item(i));
  auto all = s->list_inbox({});
  REQUIRE(all.size() == 2);
  CHECK(all[0].remote_id == "r-2");  // newest first
  InboxFilter only_dm;
  only_dm.kinds = {"dm"};
  CHECK(s->list_inbox(only_dm).size() == 1);
  s->set_inbox_status(all[0].id, "replied", "my-reply");
  CHECK(s->find_inbox_item(all[0].id)->reply_remote_id == "my-reply");
  InboxFilter open;
  open.statuses = {"new"};
  CHECK(s->list_inbox(open).size() == 1);

  CHECK_FALSE(s->cursor(a, "replies"));
  s->set_cursor(a, "replies", "c1", t0());
  s->set_cursor(a, "replies", "c2", t0());
  CHECK(s->cursor(a, "replies") == std::optional<std::string>("c2"));
}

TEST_CASE("metrics: the latest snapshot per delivery, account series in order", "[store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s->add_account(make_account("a"), "{}");
  queue_post(*s, {a}, t0());
  auto l = s->claim_due(t0(), "w", t0() + std::chrono::minutes{5});
  REQUIRE(l);
  s->mark_published(l->delivery.id, "w", {{"r1", ""}}, t0());
  s->add_metrics({{l->delivery.id, t0() + std::chrono::hours{1}, 1, 0, 0, 0, std::nullopt},
                  {l->delivery.id, t0() + std::chrono::hours{2}, 5, 1, 2, 0, 40}});
  auto latest = s->latest_metrics(t0() - std::chrono::hours{1});
  REQUIRE(latest.size() == 1);
  CHECK(latest[0].likes == 5);
  CHECK(latest[0].views == std::optional<int64_t>(40));
  CHECK(s->latest_metrics(t0() + std::chrono::hours{1}).empty());
  s->add_account_metric({a, t0(), 100, std::nullopt, std::nullopt});
  s->add_account_metric({a, t0() + std::chrono::hours{1}, 104, 3, 1});
  auto series = s->account_metrics(a, t0());
  REQUIRE(series.size() == 2);
  CHECK(series.back().followers == 104);
}

TEST_CASE("leases: one account at a time, in due order, whichever process holds it", "[store][concurrency]") {
  TempDir dir;
  auto s1 = open_sqlite_store(dir.path() / "crier.db");
  auto s2 = open_sqlite_store(dir.path() / "crier.db");  // a second process
  int64_t a = s1->add_account(make_account("a"), "{}");
  int64_t b = s1->add_account(make_account("b"), "{}");
  queue_post(*s1, {a}, t0(), "a1");
  queue_post(*s1, {a}, t0() + std::chrono::seconds{1}, "a2");
  queue_post(*s1, {b}, t0() + std::chrono::seconds{2}, "b1");
  Timestamp now = t0() + std::chrono::seconds{10};
  auto first = s1->claim_due(now, "w1", now + std::chrono::seconds{60});
  REQUIRE(first);
  CHECK(first->delivery.account_id == a);
  // a's second delivery waits while the first is held; b's goes to the other process.
  auto second = s2->claim_due(now, "w2", now + std::chrono::seconds{60});
  REQUIRE(second);
  CHECK(second->delivery.account_id == b);
  CHECK_FALSE(s2->claim_due(now, "w2", now + std::chrono::seconds{60}));
  REQUIRE(s1->mark_published(first->delivery.id, "w1", {{"r1", ""}}, now));
  auto third = s2->claim_due(now, "w2", now + std::chrono::seconds{60});
  REQUIRE(third);
  CHECK(third->delivery.account_id == a);
  CHECK(third->delivery.due_at == t0() + std::chrono::seconds{1});
  // A lease that ran out (its worker died) frees the account: the delivery is reclaimed.
  auto later = now + std::chrono::seconds{120};
  auto reclaimed = s1->claim_due(later, "w3", later + std::chrono::seconds{60});
  REQUIRE(reclaimed);
  CHECK(reclaimed->reclaimed);
}

TEST_CASE("schedules: an occurrence is added once even when two processes race", "[store][schedule]") {
  TempDir dir;
  auto s1 = open_sqlite_store(dir.path() / "crier.db");
  auto s2 = open_sqlite_store(dir.path() / "crier.db");
  int64_t a = s1->add_account(make_account("a"), "{}");
  Post p;
  p.text = "daily";
  p.created_at = t0();
  Schedule c;
  c.account_ids = {a};
  c.rule = "daily 09:00";
  c.tz = "UTC";
  c.starts_at = t0();
  c.max_count = 3;
  c.created_at = t0();
  auto make = [&](Timestamp at, const std::string& key) {
    Delivery d;
    d.account_id = a;
    d.due_at = at;
    d.idempotency_key = key;
    d.created_at = t0();
    return std::vector<Delivery>{d};
  };
  auto first = make(t0(), "k1");
  s1->add_schedule(p, c, t0(), first, false);
  CHECK(c.occurrences == 1);
  CHECK(first[0].schedule_id == c.id);
  CHECK(s1->next_due_time() == t0());

  Timestamp next = t0() + std::chrono::hours{24};
  auto d1 = make(next, "k2a");
  auto d2 = make(next, "k2b");
  CHECK(s1->add_occurrence(c.id, t0(), next, d1, false));
  CHECK_FALSE(s2->add_occurrence(c.id, t0(), next, d2, false));  // the other got there first
  DeliveryFilter f;
  f.schedule_id = c.id;
  auto all = s2->list_deliveries(f);
  REQUIRE(all.size() == 2);
  CHECK(all[0].post_id != all[1].post_id);  // each occurrence its own post, same text
  CHECK(s2->find_post(all[1].post_id)->text == "daily");
  CHECK(s2->find_schedule(c.id)->last_occurrence_at == next);

  CHECK(s2->cancel_schedule(c.id) == 2);
  CHECK(s2->find_schedule(c.id)->status == "cancelled");
  CHECK_FALSE(s1->next_due_time());
}
