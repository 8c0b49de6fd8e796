// The SQLite store. The only file in crier that includes sqlite3.h.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "redact.hpp"
#include "store/store.hpp"

namespace crier {
namespace {

using nlohmann::json;

class Db;

// A prepared statement with positional binding (1-based) and column reads (0-based).
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr) !=
        SQLITE_OK)
      fail("prepare");
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(m_stmt, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(m_stmt, i, v);
    return *this;
  }
  Stmt& bind(int i, Timestamp t) { return bind(i, static_cast<int64_t>(to_unix(t))); }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(m_stmt, i);
    return *this;
  }
  template <typename T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  // Text that can carry what a server or a model sent (errors, inbox items, settings): known
  // secrets are redacted on the way in, so the store's non-secret tables never hold one.
  Stmt& bind_outside(int i, const std::string& v) { return bind(i, redact_known(v)); }
  Stmt& bind_outside_or_null(int i, const std::string& v) { return v.empty() ? bind_null(i) : bind_outside(i, v); }
  Stmt& bind_blob(int i, const std::string& v) {
    sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Binds NULL for an empty string (optional text columns).
  Stmt& bind_text_or_null(int i, const std::string& v) { return v.empty() ? bind_null(i) : bind(i, v); }

  // Returns true while there is a row.
  bool step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  // Ready to run again with new bindings.
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }

  int64_t i64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::string text(int col) const {
    auto p = sqlite3_column_text(m_stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }
  std::string_view blob(int col) const {
    auto p = sqlite3_column_blob(m_stmt, col);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string_view();
  }
  Timestamp time(int col) const { return from_unix(i64(col)); }
  std::optional<Timestamp> opt_time(int col) const {
    return is_null(col) ? std::nullopt : std::optional<Timestamp>(time(col));
  }
  std::optional<int64_t> opt_i64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<int64_t>(i64(col));
  }
  std::optional<double> opt_double(int col) const {
    return is_null(col) ? std::nullopt : std::optional<double>(sqlite3_column_double(m_stmt, col));
  }

 private:
  [[noreturn]] void fail(const char* what) {
    int code = sqlite3_extended_errcode(m_db);
    std::string msg = std::string("database ") + what + " failed: " + sqlite3_errmsg(m_db);
    if ((code & 0xff) == SQLITE_CONSTRAINT) throw Error(ErrorKind::invalid_input, msg);
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
      throw Error(ErrorKind::temporary, msg, "another crier is busy with the database; try again");
    if ((code & 0xff) == SQLITE_FULL)
      throw Error(ErrorKind::temporary, msg, "the disk is full: free some space and run the command again");
    throw Error(ErrorKind::internal, msg);
  }
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    int code = sqlite3_extended_errcode(db) & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      throw Error(ErrorKind::temporary, "database is busy: " + msg,
                  "another crier is busy with the database; try again");
    if (code == SQLITE_FULL)
      throw Error(ErrorKind::temporary, "database error: " + msg,
                  "the disk is full: free some space and run the command again");
    throw Error(ErrorKind::internal, "database error: " + msg);
  }
}

// BEGIN IMMEDIATE ... COMMIT, rolled back when the body throws. IMMEDIATE takes the write
// lock up front, so two workers cannot both read "queued" and then both claim.
// Writers of one process queue on this mutex before they ask SQLite for the write lock: a
// waiting thread wakes as soon as the lock is free, instead of sleeping in SQLite's busy
// handler (which backs off up to 100 ms at a time and, with dozens of publishing threads,
// starved some past the busy timeout). Other processes still meet at SQLite's lock.
std::recursive_mutex& process_write_mutex() {
  static std::recursive_mutex m;
  return m;
}

void transaction(sqlite3* db, const std::function<void()>& body) {
  std::lock_guard lock(process_write_mutex());
  exec(db, "BEGIN IMMEDIATE");
  try {
    body();
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

constexpr const char* k_delivery_cols =
    "id, post_id, account_id, status, due_at, tz, attempts, next_attempt_at, lease_owner, "
    "lease_until, idempotency_key, remote_id, remote_url, last_error, last_error_kind, "
    "published_at, created_at, schedule_id, first_attempt_at, last_attempt_at, outcome_unknown, remote_parts, progress, "
    "native_lead";

Delivery read_delivery(const Stmt& s) {
  Delivery d;
  d.id = s.i64(0);
  d.post_id = s.i64(1);
  d.account_id = s.i64(2);
  d.status = delivery_status_from_string(s.text(3)).value_or(DeliveryStatus::failed);
  d.due_at = s.time(4);
  d.tz = s.text(5);
  d.attempts = static_cast<int>(s.i64(6));
  d.next_attempt_at = s.opt_time(7);
  d.lease_owner = s.text(8);
  d.lease_until = s.opt_time(9);
  d.idempotency_key = s.text(10);
  d.remote_id = s.text(11);
  d.remote_url = s.text(12);
  d.last_error = s.text(13);
  d.last_error_kind = s.text(14);
  d.published_at = s.opt_time(15);
  d.created_at = s.time(16);
  d.schedule_id = s.opt_i64(17);
  d.first_attempt_at = s.opt_time(18);
  d.last_attempt_at = s.opt_time(19);
  d.outcome_unknown = s.i64(20) != 0;
  auto parts = json::parse(s.text(21), nullptr, false);
  if (parts.is_array())
    for (const auto& p : parts) d.remote_parts.push_back({p.value("id", ""), p.value("url", "")});
  d.progress = s.text(22);
  d.native_lead = s.opt_i64(23);
  return d;
}

constexpr const char* k_schedule_cols =
    "id, post_id, accounts, rule, tz, starts_at, until_at, max_count, occurrences, last_occurrence_at, "
    "status, created_at";

Schedule read_schedule(const Stmt& s) {
  Schedule c;
  c.id = s.i64(0);
  c.post_id = s.i64(1);
  c.account_ids = json::parse(s.text(2)).get<std::vector<int64_t>>();
  c.rule = s.text(3);
  c.tz = s.text(4);
  c.starts_at = s.time(5);
  c.until = s.opt_time(6);
  if (auto n = s.opt_i64(7)) c.max_count = static_cast<int>(*n);
  c.occurrences = static_cast<int>(s.i64(8));
  c.last_occurrence_at = s.opt_time(9);
  c.status = s.text(10);
  c.created_at = s.time(11);
  return c;
}

constexpr const char* k_account_cols =
    "id, network, handle, server, COALESCE(alias, ''), status, settings, created_at, rate_limited_until";

Account read_account(const Stmt& s) {
  Account a;
  a.id = s.i64(0);
  a.network = s.text(1);
  a.handle = s.text(2);
  a.server = s.text(3);
  a.alias = s.text(4);
  a.status = s.text(5);
  a.settings = s.text(6);
  a.created_at = s.time(7);
  a.rate_limited_until = s.opt_time(8);
  return a;
}

constexpr const char* k_inbox_cols =
    "id, account_id, kind, remote_id, COALESCE(thread_id,''), COALESCE(parent_remote_id,''), "
    "delivery_id, author, COALESCE(author_name,''), text, COALESCE(url,''), created_at, "
    "fetched_at, status, COALESCE(triage,''), COALESCE(reply_remote_id,''), meta, COALESCE(reply_text,'')";

InboxItem read_inbox(const Stmt& s) {
  InboxItem i;
  i.id = s.i64(0);
  i.account_id = s.i64(1);
  i.kind = s.text(2);
  i.remote_id = s.text(3);
  i.thread_id = s.text(4);
  i.parent_remote_id = s.text(5);
  i.delivery_id = s.opt_i64(6);
  i.author = s.text(7);
  i.author_name = s.text(8);
  i.text = s.text(9);
  i.url = s.text(10);
  i.created_at = s.time(11);
  i.fetched_at = s.time(12);
  i.status = s.text(13);
  i.triage = s.text(14);
  i.reply_remote_id = s.text(15);
  i.meta = s.text(16);
  i.reply_text = s.text(17);
  return i;
}

std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : m_db(db) {}
  ~SqliteStore() override { sqlite3_close_v2(m_db); }

  void migrate(int target) {
    auto migrations = embedded_migrations();
    int latest = static_cast<int>(migrations.size());
    if (target < 0) target = latest;
    int current = schema_version();
    if (current > latest)
      throw Error(ErrorKind::config,
                  "the database is from a newer crier (schema " + std::to_string(current) +
                      ", this crier knows " + std::to_string(latest) + ")",
                  "upgrade crier, or point --db at another file");
    if (current >= target) return;
    transaction(m_db, [&] {
      int v = schema_version();  // re-read under the write lock: another process may have won
      for (; v < target; ++v) exec(m_db, std::string(migrations[static_cast<size_t>(v)]));
      exec(m_db, "PRAGMA user_version = " + std::to_string(v));
    });
  }

  int schema_version() override {
    Stmt s(m_db, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.i64(0));
  }

  std::string integrity_check() override {
    Stmt s(m_db, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "; ") + s.text(0);
    return out;
  }

  int64_t add_account(const Account& a, const std::string& secret) override {
    int64_t id = 0;
    transaction(m_db, [&] {
      if (find_account(a.network, a.handle))
        throw Error(ErrorKind::invalid_input, "account '" + a.name() + "' already exists",
                    "remove it first: crier accounts remove " + a.name());
      if (!a.alias.empty() && find_account_by_alias(a.alias))
        throw Error(ErrorKind::invalid_input, "alias '" + a.alias + "' is already taken",
                    "choose another with --alias");
      Stmt s(m_db,
             "INSERT INTO accounts (network, handle, server, alias, status, settings, created_at) "
             "VALUES (?,?,?,?,?,?,?)");
      s.bind(1, a.network).bind(2, a.handle).bind(3, a.server).bind_text_or_null(4, a.alias);
      s.bind(5, a.status).bind_outside(6, a.settings).bind(7, a.created_at).run();
      id = sqlite3_last_insert_rowid(m_db);
      Stmt sec(m_db, "INSERT INTO secrets (account_id, data, updated_at) VALUES (?,?,?)");
      sec.bind(1, id).bind(2, secret).bind(3, a.created_at).run();
    });
    return id;
  }

  std::vector<Account> list_accounts() override {
    Stmt s(m_db, std::string("SELECT ") + k_account_cols + " FROM accounts ORDER BY network, handle");
    std::vector<Account> out;
    while (s.step()) out.push_back(read_account(s));
    return out;
  }

  std::optional<Account> find_account(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_account_cols + " FROM accounts WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_account(s);
  }

  std::optional<Account> find_account(const std::string& network,
                                      const std::string& handle) override {
    Stmt s(m_db, std::string("SELECT ") + k_account_cols +
                     " FROM accounts WHERE network = ? AND handle = ?");
    s.bind(1, network).bind(2, handle);
    if (!s.step()) return std::nullopt;
    return read_account(s);
  }

  std::optional<Account> find_account_by_alias(const std::string& alias) override {
    Stmt s(m_db, std::string("SELECT ") + k_account_cols + " FROM accounts WHERE alias = ?");
    s.bind(1, alias);
    if (!s.step()) return std::nullopt;
    return read_account(s);
  }

  void set_account_status(int64_t id, const std::string& status) override {
    Stmt(m_db, "UPDATE accounts SET status = ? WHERE id = ?").bind(1, status).bind(2, id).run();
  }

  void remove_account(int64_t id) override {
    transaction(m_db, [&] { Stmt(m_db, "DELETE FROM accounts WHERE id = ?").bind(1, id).run(); });
  }

  std::optional<std::string> secret(int64_t account_id) override {
    Stmt s(m_db, "SELECT data FROM secrets WHERE account_id = ?");
    s.bind(1, account_id);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  }

  void set_secret(int64_t account_id, const std::string& data, Timestamp now) override {
    Stmt(m_db,
         "INSERT INTO secrets (account_id, data, updated_at) VALUES (?,?,?) "
         "ON CONFLICT (account_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at")
        .bind(1, account_id)
        .bind(2, data)
        .bind(3, now)
        .run();
  }

  void add_post(Post& post, std::vector<Delivery>& deliveries) override {
    transaction(m_db, [&] {
      post.id = insert_post(post);
      insert_deliveries(post.id, deliveries);
    });
  }

  void insert_deliveries(int64_t post_id, std::vector<Delivery>& deliveries) {
    for (auto& d : deliveries) {
      d.post_id = post_id;
      Stmt ins(m_db,
               "INSERT INTO deliveries (post_id, account_id, status, due_at, tz, idempotency_key, "
               "created_at, schedule_id, native_lead) VALUES (?,?,?,?,?,?,?,?,?)");
      ins.bind(1, d.post_id).bind(2, d.account_id).bind(3, to_string(d.status));
      ins.bind(4, d.due_at).bind(5, d.tz).bind(6, d.idempotency_key).bind(7, d.created_at).bind(8, d.schedule_id);
      ins.bind(9, d.native_lead).run();
      d.id = sqlite3_last_insert_rowid(m_db);
    }
  }

  int64_t insert_post(const Post& post) {
    json media = json::array();
    for (const auto& m : post.media)
      media.push_back({{"path", m.path}, {"alt", m.alt}, {"mime", m.mime}, {"bytes", m.bytes}, {"width", m.width},
                       {"height", m.height}});
    Stmt s(m_db,
           "INSERT INTO posts (text, thread, parts, media, origin, status, created_at, options) "
           "VALUES (?,?,?,?,?,?,?,?)");
    s.bind(1, post.text).bind(2, post.thread ? 1 : 0).bind(3, json(post.parts).dump());
    s.bind(4, media.dump()).bind(5, post.origin).bind(6, post.status).bind(7, post.created_at);
    s.bind(8, post.options).run();
    return sqlite3_last_insert_rowid(m_db);
  }

  bool reschedule_delivery(int64_t id, Timestamp due) override {
    // Not a delivery that may already be scheduled on its network for its old time (a hand-over
    // whose outcome is unknown): moving it would make the retry hand over a second post.
    Stmt(m_db,
         "UPDATE deliveries SET due_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'queued' "
         "AND NOT (native_lead IS NOT NULL AND outcome_unknown = 1)")
        .bind(1, due)
        .bind(2, id)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  void add_schedule(Post& post, Schedule& c, Timestamp first_at, std::vector<Delivery>& first, bool ends) override {
    transaction(m_db, [&] {
      post.id = insert_post(post);
      c.post_id = post.id;
      Stmt ins(m_db,
               "INSERT INTO schedules (post_id, accounts, rule, tz, starts_at, until_at, max_count, occurrences, "
               "last_occurrence_at, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
      ins.bind(1, c.post_id).bind(2, json(c.account_ids).dump()).bind(3, c.rule).bind(4, c.tz).bind(5, c.starts_at);
      ins.bind(6, c.until).bind(7, c.max_count ? std::optional<int64_t>(*c.max_count) : std::nullopt);
      ins.bind(8, c.occurrences).bind(9, c.last_occurrence_at).bind(10, c.status).bind(11, c.created_at).run();
      c.id = sqlite3_last_insert_rowid(m_db);
      insert_occurrence(c.id, std::nullopt, first_at, first, ends);
      c.occurrences = 1;
      c.last_occurrence_at = first_at;
      if (ends) c.status = "ended";
    });
  }

  std::optional<Schedule> find_schedule(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_schedule_cols + " FROM schedules WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_schedule(s);
  }

  std::vector<Schedule> list_schedules(const std::vector<std::string>& statuses) override {
    std::string sql = std::string("SELECT ") + k_schedule_cols + " FROM schedules WHERE 1=1";
    if (!statuses.empty()) sql += " AND status IN (" + placeholders(statuses.size()) + ")";
    sql += " ORDER BY id";
    Stmt s(m_db, sql);
    int i = 1;
    for (const auto& st : statuses) s.bind(i++, st);
    std::vector<Schedule> out;
    while (s.step()) out.push_back(read_schedule(s));
    return out;
  }

  bool add_occurrence(int64_t schedule_id, std::optional<Timestamp> expected_last, Timestamp at,
                      std::vector<Delivery>& deliveries, bool ends) override {
    bool added = false;
    transaction(m_db, [&] { added = insert_occurrence(schedule_id, expected_last, at, deliveries, ends); });
    return added;
  }

  bool insert_occurrence(int64_t schedule_id, std::optional<Timestamp> expected_last, Timestamp at,
                         std::vector<Delivery>& deliveries, bool ends) {
    auto c = find_schedule(schedule_id);
    if (!c || c->status != "active" || c->last_occurrence_at != expected_last) return false;
    auto tmpl = find_post(c->post_id);
    if (!tmpl) return false;
    int64_t post_id = insert_post(*tmpl);
    for (auto& d : deliveries) d.schedule_id = schedule_id;
    insert_deliveries(post_id, deliveries);
    Stmt(m_db,
         "UPDATE schedules SET occurrences = occurrences + 1, last_occurrence_at = ?, "
         "status = CASE WHEN ? THEN 'ended' ELSE status END WHERE id = ?")
        .bind(1, at)
        .bind(2, ends ? 1 : 0)
        .bind(3, schedule_id)
        .run();
    return true;
  }

  void set_schedule_status(int64_t id, const std::string& status) override {
    Stmt(m_db, "UPDATE schedules SET status = ? WHERE id = ?").bind(1, status).bind(2, id).run();
  }

  int cancel_schedule(int64_t id) override {
    int cancelled = 0;
    transaction(m_db, [&] {
      Stmt(m_db, "UPDATE schedules SET status = 'cancelled' WHERE id = ?").bind(1, id).run();
      Stmt(m_db, "UPDATE deliveries SET status = 'cancelled' WHERE schedule_id = ? AND status = 'queued'")
          .bind(1, id)
          .run();
      cancelled = sqlite3_changes(m_db);
    });
    return cancelled;
  }

  void set_slots(const SlotRule& r) override {
    Stmt(m_db,
         "INSERT INTO slots (account_id, rule, tz, updated_at) VALUES (?,?,?,?) ON CONFLICT (account_id) DO "
         "UPDATE SET rule = excluded.rule, tz = excluded.tz, updated_at = excluded.updated_at")
        .bind(1, r.account_id)
        .bind(2, r.rule)
        .bind(3, r.tz)
        .bind(4, r.updated_at)
        .run();
  }

  std::optional<SlotRule> slots(int64_t account_id) override {
    Stmt s(m_db, "SELECT account_id, rule, tz, updated_at FROM slots WHERE account_id = ?");
    s.bind(1, account_id);
    if (!s.step()) return std::nullopt;
    return SlotRule{s.i64(0), s.text(1), s.text(2), s.time(3)};
  }

  std::vector<SlotRule> list_slots() override {
    Stmt s(m_db, "SELECT account_id, rule, tz, updated_at FROM slots ORDER BY account_id");
    std::vector<SlotRule> out;
    while (s.step()) out.push_back({s.i64(0), s.text(1), s.text(2), s.time(3)});
    return out;
  }

  bool clear_slots(int64_t account_id) override {
    Stmt(m_db, "DELETE FROM slots WHERE account_id = ?").bind(1, account_id).run();
    return sqlite3_changes(m_db) == 1;
  }

  std::optional<Post> find_post(int64_t id) override {
    Stmt s(m_db, "SELECT id, text, parts, media, origin, status, created_at, thread, options FROM posts WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    Post p;
    p.id = s.i64(0);
    p.text = s.text(1);
    p.parts = json::parse(s.text(2)).get<std::vector<std::string>>();
    for (const auto& m : json::parse(s.text(3))) {
      p.media.push_back({m.value("path", ""), m.value("alt", ""), m.value("mime", ""), m.value("bytes", int64_t{0})});
      p.media.back().width = m.value("width", 0);
      p.media.back().height = m.value("height", 0);
    }
    p.origin = s.text(4);
    p.status = s.text(5);
    p.created_at = s.time(6);
    p.thread = s.i64(7) != 0;
    p.options = s.text(8);
    return p;
  }

  std::optional<Delivery> find_delivery(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_delivery_cols + " FROM deliveries WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_delivery(s);
  }

  std::vector<Delivery> list_deliveries(const DeliveryFilter& f) override {
    std::string sql = std::string("SELECT ") + k_delivery_cols + " FROM deliveries WHERE 1=1";
    if (!f.statuses.empty()) sql += " AND status IN (" + placeholders(f.statuses.size()) + ")";
    if (f.account_id) sql += " AND account_id = ?";
    if (f.post_id) sql += " AND post_id = ?";
    if (f.published_since) sql += " AND published_at >= ?";
    if (f.due_from) sql += " AND due_at >= ?";
    if (f.due_until) sql += " AND due_at <= ?";
    if (f.schedule_id) sql += " AND schedule_id = ?";
    sql += " ORDER BY due_at, id";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    Stmt s(m_db, sql);
    int i = 1;
    for (auto st : f.statuses) s.bind(i++, to_string(st));
    if (f.account_id) s.bind(i++, *f.account_id);
    if (f.post_id) s.bind(i++, *f.post_id);
    if (f.published_since) s.bind(i++, *f.published_since);
    if (f.due_from) s.bind(i++, *f.due_from);
    if (f.due_until) s.bind(i++, *f.due_until);
    if (f.schedule_id) s.bind(i++, *f.schedule_id);
    std::vector<Delivery> out;
    while (s.step()) out.push_back(read_delivery(s));
    return out;
  }

  bool cancel_delivery(int64_t id) override {
    Stmt(m_db, "UPDATE deliveries SET status = 'cancelled' WHERE id = ? AND status = 'queued'")
        .bind(1, id)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  bool restore_delivery(int64_t id, Timestamp now) override {
    std::lock_guard lock(process_write_mutex());
    Stmt(m_db,
         "UPDATE deliveries SET status = 'queued', due_at = CASE WHEN due_at < ? THEN ? ELSE due_at END, "
         "next_attempt_at = NULL WHERE id = ? AND status = 'cancelled'")
        .bind(1, now)
        .bind(2, now)
        .bind(3, id)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  bool retry_delivery(int64_t id, Timestamp now) override {
    Stmt(m_db,
         "UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = NULL, "
         "due_at = CASE WHEN due_at < ? THEN ? ELSE due_at END "
         "WHERE id = ? AND status IN ('failed', 'dead')")
        .bind(1, now)
        .bind(2, now)
        .bind(3, id)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  std::optional<Lease> claim_due(Timestamp now, const std::string& owner, Timestamp lease_until,
                                 std::optional<int64_t> post_id) override {
    std::optional<Lease> lease;
    transaction(m_db, [&] {
      // Two simple queries rather than one with OR, so each walks the (status, due_at) index
      // in order and stops at the first match: claiming stays cheap with 10,000 queued.
      std::string common =
          " AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = d.account_id AND a.status = 'active'"
          " AND (a.rate_limited_until IS NULL OR a.rate_limited_until <= ?1))"
          // one at a time per account, whichever process holds it
          " AND NOT EXISTS (SELECT 1 FROM deliveries b WHERE b.account_id = d.account_id"
          " AND b.status = 'publishing' AND b.lease_until >= ?1 AND b.id != d.id)";
      if (post_id) common += " AND post_id = ?2";
      common += " ORDER BY due_at, id LIMIT 1";
      std::string select = std::string("SELECT ") + k_delivery_cols + " FROM deliveries d WHERE ";
      Stmt expired(m_db, select + "status = 'publishing' AND lease_until < ?1" + common);
      Stmt queued(m_db, select + "status = 'queued' AND due_at <= ?1 AND "
                                 "(next_attempt_at IS NULL OR next_attempt_at <= ?1)" + common);
      // Handed to the network's own scheduling before they are due (a partial index: few rows).
      Stmt native(m_db, select + "status = 'queued' AND native_lead IS NOT NULL AND due_at - native_lead <= ?1 AND "
                                 "(next_attempt_at IS NULL OR next_attempt_at <= ?1)" + common);
      Stmt* found = nullptr;
      for (Stmt* q : {&expired, &queued, &native}) {
        q->bind(1, now);
        if (post_id) q->bind(2, *post_id);
        if (q->step()) {
          found = q;
          break;
        }
      }
      if (found == nullptr) return;
      Stmt& s = *found;
      Lease l{read_delivery(s), false};
      l.reclaimed = l.delivery.status == DeliveryStatus::publishing;
      Stmt u(m_db,
             "UPDATE deliveries SET status = 'publishing', lease_owner = ?, lease_until = ?, "
             "attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ? "
             "WHERE id = ?");
      u.bind(1, owner).bind(2, lease_until).bind(3, now).bind(4, now).bind(5, l.delivery.id).run();
      l.delivery.status = DeliveryStatus::publishing;
      l.delivery.lease_owner = owner;
      l.delivery.lease_until = lease_until;
      l.delivery.attempts += 1;
      if (!l.delivery.first_attempt_at) l.delivery.first_attempt_at = now;
      l.delivery.last_attempt_at = now;
      lease = std::move(l);
    });
    return lease;
  }

  bool mark_published(int64_t id, const std::string& owner, const std::vector<RemotePart>& parts,
                      Timestamp now) override {
    if (parts.empty() || parts[0].id.empty())
      throw Error(ErrorKind::internal, "delivery " + std::to_string(id) + ": published without a remote id");
    json all = json::array();
    for (const auto& p : parts) all.push_back({{"id", p.id}, {"url", p.url}});
    std::lock_guard lock(process_write_mutex());  // see transaction()
    Stmt(m_db,
         "UPDATE deliveries SET status = 'published', remote_id = ?, remote_url = ?, remote_parts = ?, "
         "published_at = ?, lease_owner = NULL, lease_until = NULL, last_error = NULL, "
         "last_error_kind = NULL, next_attempt_at = NULL, outcome_unknown = 0 "
         "WHERE id = ? AND status = 'publishing' AND lease_owner = ?")
        .bind(1, parts[0].id)
        .bind_text_or_null(2, parts[0].url)
        .bind(3, all.dump())
        .bind(4, now)
        .bind(5, id)
        .bind(6, owner)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  void set_progress(int64_t id, const std::string& progress) override {
    std::lock_guard lock(process_write_mutex());  // see transaction()
    Stmt(m_db, "UPDATE deliveries SET progress = ? WHERE id = ?").bind(1, progress).bind(2, id).run();
  }

  bool mark_unsuccessful(int64_t id, const std::string& owner, const AttemptFailure& f) override {
    std::lock_guard lock(process_write_mutex());  // see transaction()
    Stmt(m_db,
         "UPDATE deliveries SET status = ?, last_error_kind = ?, last_error = ?, "
         "next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, outcome_unknown = ?, "
         "attempts = CASE WHEN ? THEN attempts ELSE MAX(attempts - 1, 0) END "
         "WHERE id = ? AND status = 'publishing' AND lease_owner = ?")
        .bind(1, to_string(f.status))
        .bind(2, f.error_kind)
        .bind_outside(3, f.error)
        .bind(4, f.next_attempt_at)
        .bind(5, f.outcome_unknown ? 1 : 0)
        .bind(6, f.counted ? 1 : 0)
        .bind(7, id)
        .bind(8, owner)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  void set_rate_limited(int64_t account_id, std::optional<Timestamp> until) override {
    std::lock_guard lock(process_write_mutex());  // see transaction()
    // Only ever later: two workers that met the same limit do not shorten each other's wait.
    Stmt(m_db,
         "UPDATE accounts SET rate_limited_until = CASE WHEN ?1 IS NULL THEN NULL "
         "ELSE MAX(COALESCE(rate_limited_until, 0), ?1) END WHERE id = ?2")
        .bind(1, until)
        .bind(2, account_id)
        .run();
  }

  std::optional<Timestamp> next_due_time() override {
    Stmt s(m_db,
           "SELECT MIN(t) FROM ("
           " SELECT MAX(d.due_at - COALESCE(d.native_lead, 0), COALESCE(d.next_attempt_at, 0),"
           " COALESCE(a.rate_limited_until, 0)) AS t"
           " FROM deliveries d JOIN accounts a ON a.id = d.account_id"
           " WHERE d.status = 'queued' AND a.status = 'active'"
           " UNION ALL SELECT lease_until FROM deliveries WHERE status = 'publishing'"
           " UNION ALL SELECT last_occurrence_at FROM schedules WHERE status = 'active')");
    if (!s.step() || s.is_null(0)) return std::nullopt;
    return s.time(0);
  }

  static constexpr const char* k_draft_cols =
      "id, topic, text, parts, variants, template, backend, model, prompt_tokens, completion_tokens, latency_ms, "
      "calls, created_at, updated_at";

  static Draft read_draft(const Stmt& s) {
    Draft d;
    d.id = s.i64(0);
    d.topic = s.text(1);
    d.text = s.text(2);
    d.parts = json::parse(s.text(3)).get<std::vector<std::string>>();
    d.variants = s.text(4);
    d.template_name = s.text(5);
    d.backend = s.text(6);
    d.model = s.text(7);
    if (auto n = s.opt_i64(8)) d.prompt_tokens = static_cast<int>(*n);
    if (auto n = s.opt_i64(9)) d.completion_tokens = static_cast<int>(*n);
    d.latency_ms = s.i64(10);
    d.calls = static_cast<int>(s.i64(11));
    d.created_at = s.time(12);
    d.updated_at = s.time(13);
    return d;
  }

  void add_draft(Draft& d) override {
    std::lock_guard lock(process_write_mutex());
    Stmt s(m_db,
           "INSERT INTO drafts (topic, text, parts, variants, template, backend, model, prompt_tokens, "
           "completion_tokens, latency_ms, calls, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    auto opt = [](std::optional<int> v) { return v ? std::optional<int64_t>(*v) : std::nullopt; };
    s.bind(1, d.topic).bind_outside(2, d.text).bind_outside(3, json(d.parts).dump()).bind_outside(4, d.variants);
    s.bind(5, d.template_name);
    s.bind(6, d.backend).bind(7, d.model).bind(8, opt(d.prompt_tokens)).bind(9, opt(d.completion_tokens));
    s.bind(10, static_cast<int64_t>(d.latency_ms)).bind(11, d.calls).bind(12, d.created_at).bind(13, d.updated_at).run();
    d.id = sqlite3_last_insert_rowid(m_db);
  }

  std::optional<Draft> find_draft(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_draft_cols + " FROM drafts WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_draft(s);
  }

  std::vector<Draft> list_drafts(int limit) override {
    std::string sql = std::string("SELECT ") + k_draft_cols + " FROM drafts ORDER BY id DESC";
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    Stmt s(m_db, sql);
    std::vector<Draft> out;
    while (s.step()) out.push_back(read_draft(s));
    return out;
  }

  bool update_draft(int64_t id, const std::string& text, const std::vector<std::string>& parts,
                    const std::string& variants, Timestamp now) override {
    std::lock_guard lock(process_write_mutex());
    Stmt(m_db, "UPDATE drafts SET text = ?, parts = ?, variants = ?, updated_at = ? WHERE id = ?")
        .bind_outside(1, text)
        .bind_outside(2, json(parts).dump(-1, ' ', false, json::error_handler_t::replace))
        .bind_outside(3, variants)
        .bind(4, now)
        .bind(5, id)
        .run();
    return sqlite3_changes(m_db) == 1;
  }

  bool remove_draft(int64_t id) override {
    std::lock_guard lock(process_write_mutex());
    Stmt(m_db, "DELETE FROM drafts WHERE id = ?").bind(1, id).run();
    return sqlite3_changes(m_db) == 1;
  }

  // --- knowledge base ---
  static constexpr const char* k_kb_source_cols =
      "s.id, s.location, s.kind, s.title, s.content_hash, s.bytes, s.source_mtime, s.added_at, s.indexed_at, "
      "(SELECT COUNT(*) FROM kb_chunks c WHERE c.source_id = s.id)";
  static KbSource read_kb_source(const Stmt& s) {
    KbSource k;
    k.id = s.i64(0);
    k.location = s.text(1);
    k.kind = s.text(2);
    k.title = s.text(3);
    k.content_hash = s.text(4);
    k.bytes = s.i64(5);
    k.source_mtime = s.opt_time(6);
    k.added_at = s.time(7);
    k.indexed_at = s.time(8);
    k.chunks = s.i64(9);
    return k;
  }
  int64_t prune_kb_embeddings() override {
    std::lock_guard lock(process_write_mutex());
    Stmt(m_db,
         "DELETE FROM kb_embeddings WHERE NOT EXISTS (SELECT 1 FROM kb_chunks c WHERE c.hash = "
         "kb_embeddings.hash)")
        .run();
    return sqlite3_changes(m_db);
  }

  static constexpr const char* k_kb_chunk_cols = "c.id, c.source_id, c.seq, c.heading, c.start_offset, c.end_offset, c.text, c.hash";
  static KbChunk read_kb_chunk(const Stmt& s) {
    KbChunk c;
    c.id = s.i64(0);
    c.source_id = s.i64(1);
    c.seq = static_cast<int>(s.i64(2));
    c.heading = s.text(3);
    c.start_offset = s.i64(4);
    c.end_offset = s.i64(5);
    c.text = s.text(6);
    c.hash = s.text(7);
    return c;
  }

  void put_kb_source(KbSource& k, std::vector<KbChunk>& chunks) override {
    transaction(m_db, [&] {
      Stmt find(m_db, "SELECT id, added_at FROM kb_sources WHERE location = ?");
      find.bind(1, k.location);
      if (find.step()) {
        k.id = find.i64(0);
        k.added_at = find.time(1);
        Stmt(m_db, "DELETE FROM kb_chunks WHERE source_id = ?").bind(1, k.id).run();
        Stmt(m_db,
             "UPDATE kb_sources SET kind = ?, title = ?, content_hash = ?, bytes = ?, source_mtime = ?, "
             "indexed_at = ? WHERE id = ?")
            .bind(1, k.kind)
            .bind(2, k.title)
            .bind(3, k.content_hash)
            .bind(4, k.bytes)
            .bind(5, k.source_mtime)
            .bind(6, k.indexed_at)
            .bind(7, k.id)
            .run();
      } else {
        Stmt ins(m_db,
                 "INSERT INTO kb_sources (location, kind, title, content_hash, bytes, source_mtime, added_at, "
                 "indexed_at) VALUES (?,?,?,?,?,?,?,?)");
        ins.bind_outside(1, k.location).bind(2, k.kind).bind_outside(3, k.title).bind(4, k.content_hash).bind(5, k.bytes);
        ins.bind(6, k.source_mtime).bind(7, k.added_at).bind(8, k.indexed_at).run();
        k.id = sqlite3_last_insert_rowid(m_db);
      }
      for (auto& c : chunks) {
        c.source_id = k.id;
        Stmt ins(m_db,
                 "INSERT INTO kb_chunks (source_id, seq, heading, start_offset, end_offset, text, hash) "
                 "VALUES (?,?,?,?,?,?,?)");
        ins.bind(1, c.source_id).bind(2, c.seq).bind(3, c.heading).bind(4, c.start_offset).bind(5, c.end_offset);
        ins.bind_outside(6, c.text).bind(7, c.hash).run();
        c.id = sqlite3_last_insert_rowid(m_db);
      }
      k.chunks = static_cast<int64_t>(chunks.size());
    });
  }

  std::vector<KbSource> list_kb_sources() override {
    Stmt s(m_db, std::string("SELECT ") + k_kb_source_cols + " FROM kb_sources s ORDER BY s.id");
    std::vector<KbSource> out;
    while (s.step()) out.push_back(read_kb_source(s));
    return out;
  }

  std::optional<KbSource> find_kb_source(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_kb_source_cols + " FROM kb_sources s WHERE s.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_kb_source(s);
  }

  std::optional<KbSource> find_kb_source(const std::string& location) override {
    Stmt s(m_db, std::string("SELECT ") + k_kb_source_cols + " FROM kb_sources s WHERE s.location = ?");
    s.bind(1, location);
    if (!s.step()) return std::nullopt;
    return read_kb_source(s);
  }

  std::vector<KbChunk> kb_chunks(int64_t source_id) override {
    Stmt s(m_db, std::string("SELECT ") + k_kb_chunk_cols + " FROM kb_chunks c WHERE c.source_id = ? ORDER BY c.seq");
    s.bind(1, source_id);
    std::vector<KbChunk> out;
    while (s.step()) out.push_back(read_kb_chunk(s));
    return out;
  }

  std::optional<KbChunk> find_kb_chunk(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_kb_chunk_cols + " FROM kb_chunks c WHERE c.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_kb_chunk(s);
  }

  bool remove_kb_source(int64_t id) override {
    bool removed = false;
    transaction(m_db, [&] {
      Stmt(m_db, "DELETE FROM kb_chunks WHERE source_id = ?").bind(1, id).run();  // through the FTS trigger
      Stmt(m_db, "DELETE FROM kb_sources WHERE id = ?").bind(1, id).run();
      removed = sqlite3_changes(m_db) == 1;
    });
    return removed;
  }

  std::vector<KbHit> search_kb(const std::string& match, int limit) override {
    // The best ids first, by bm25() alone (lower is better; headings weigh double): sorting
    // only numbers keeps a query over 10,000 matching chunks fast. Then each hit's chunk,
    // source and snippet by its id.
    Stmt best(m_db,
              "SELECT rowid, bm25(kb_fts, 1.0, 2.0) AS r FROM kb_fts WHERE kb_fts MATCH ? ORDER BY r, rowid LIMIT ?");
    best.bind(1, match).bind(2, limit);
    std::vector<std::pair<int64_t, double>> ids;
    while (best.step()) ids.emplace_back(best.i64(0), best.opt_double(1).value_or(0));
    std::vector<KbHit> out;
    Stmt chunk(m_db, std::string("SELECT ") + k_kb_chunk_cols +
                         ", s.location, s.title FROM kb_chunks c JOIN kb_sources s ON s.id = c.source_id WHERE c.id = ?");
    Stmt snippet(m_db,
                 "SELECT snippet(kb_fts, 0, char(2), char(3), '…', 16) FROM kb_fts WHERE kb_fts MATCH ? AND rowid = ?");
    for (const auto& [id, rank] : ids) {
      chunk.reset();
      chunk.bind(1, id);
      if (!chunk.step()) continue;
      KbHit h;
      h.chunk = read_kb_chunk(chunk);
      h.location = chunk.text(8);
      h.title = chunk.text(9);
      h.score = -rank;
      h.bm25 = -rank;
      snippet.reset();
      snippet.bind(1, match).bind(2, id);
      if (snippet.step()) h.snippet = snippet.text(0);
      out.push_back(std::move(h));
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> kb_texts_to_embed(const std::string& model) override {
    Stmt s(
        m_db,
        "SELECT c.hash, MIN(c.text) FROM kb_chunks c WHERE NOT EXISTS (SELECT 1 FROM kb_embeddings e WHERE "
        "e.model = ? AND e.hash = c.hash) GROUP BY c.hash ORDER BY MIN(c.id)");
    s.bind(1, model);
    std::vector<std::pair<std::string, std::string>> out;
    while (s.step()) out.emplace_back(s.text(0), s.text(1));
    return out;
  }

  void put_kb_embeddings(const std::string& model,
                         const std::vector<std::pair<std::string, std::string>>& hash_blobs,
                         Timestamp now) override {
    std::lock_guard lock(process_write_mutex());
    transaction(m_db, [&] {
      Stmt ins(m_db,
               "INSERT INTO kb_embeddings (model, hash, dims, vector, created_at) VALUES (?,?,?,?,?) "
               "ON CONFLICT (model, hash) DO UPDATE SET dims = excluded.dims, vector = excluded.vector, "
               "created_at = excluded.created_at");
      for (const auto& [hash, blob] : hash_blobs) {
        ins.reset();
        ins.bind(1, model)
            .bind(2, hash)
            .bind(3, static_cast<int64_t>(blob.size() / 4))
            .bind_blob(4, blob)
            .bind(5, now);
        ins.run();
      }
    });
  }

  std::pair<int64_t, int64_t> kb_embedded_count(const std::string& model) override {
    Stmt s(m_db,
           "SELECT (SELECT COUNT(*) FROM kb_chunks c WHERE EXISTS (SELECT 1 FROM kb_embeddings e WHERE "
           "e.model = ? "
           "AND e.hash = c.hash)), (SELECT COUNT(*) FROM kb_chunks)");
    s.bind(1, model);
    s.step();
    return {s.i64(0), s.i64(1)};
  }

  std::vector<std::pair<int64_t, double>> kb_nearest(const std::string& model,
                                                     const std::vector<float>& query, int limit) override {
    static_assert(std::endian::native == std::endian::little, "vectors are stored as little-endian float32s");
    // The vectors alone are scanned, in the primary key's order (one per text, this model's
    // together), each scored in place; the best `limit` texts kept in a small heap, and their
    // chunks looked up after. 10,000 vectors of 768 numbers are 30 MB to read.
    // Read through a memory map: no copy of each page into SQLite's cache.
    Stmt(m_db, "PRAGMA mmap_size = 268435456").run();
    Stmt s(m_db, "SELECT hash, vector FROM kb_embeddings WHERE model = ? AND dims = ?");
    s.bind(1, model).bind(2, static_cast<int64_t>(query.size()));
    using Scored = std::pair<double, std::string>;
    auto better = [](const Scored& a, const Scored& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    std::vector<Scored> heap;  // the worst of the kept on top
    size_t keep = static_cast<size_t>(std::max(1, limit));
    std::vector<float> v(query.size());
    while (s.step()) {
      std::string_view b = s.blob(1);
      if (b.size() != query.size() * 4) continue;
      std::memcpy(v.data(), b.data(), b.size());
      // Eight independent sums, so the compiler can keep them in one vector register.
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      size_t i = 0;
      for (; i + 8 <= v.size(); i += 8)
        for (size_t k = 0; k < 8; ++k) lanes[k] += v[i + k] * query[i + k];
      double dot = 0;
      for (; i < v.size(); ++i) dot += static_cast<double>(v[i]) * query[i];
      for (float l : lanes) dot += l;
      if (heap.size() == keep && !(dot > heap.front().first)) continue;
      Scored sc{dot, s.text(0)};
      if (heap.size() < keep) {
        heap.push_back(std::move(sc));
        std::push_heap(heap.begin(), heap.end(), better);
      } else {
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = std::move(sc);
        std::push_heap(heap.begin(), heap.end(), better);
      }
    }
    std::sort(heap.begin(), heap.end(), better);
    std::vector<std::pair<int64_t, double>> out;
    Stmt chunks(m_db, "SELECT id FROM kb_chunks WHERE hash = ? ORDER BY id");
    for (const auto& [score, hash] : heap) {
      chunks.reset();
      chunks.bind(1, hash);
      while (chunks.step() && out.size() < keep) out.emplace_back(chunks.i64(0), score);
    }
    return out;
  }

  std::vector<std::pair<int64_t, double>> kb_ranked_by_words(const std::string& match, int limit) override {
    Stmt best(m_db,
              "SELECT rowid, bm25(kb_fts, 1.0, 2.0) AS r FROM kb_fts WHERE kb_fts MATCH ? ORDER BY r, rowid "
              "LIMIT ?");
    best.bind(1, match).bind(2, limit);
    std::vector<std::pair<int64_t, double>> ids;
    while (best.step()) ids.emplace_back(best.i64(0), -best.opt_double(1).value_or(0));
    return ids;
  }

  std::string kb_snippet(const std::string& match, int64_t chunk_id) override {
    Stmt snippet(m_db,
                 "SELECT snippet(kb_fts, 0, char(2), char(3), '…', 16) FROM kb_fts WHERE kb_fts MATCH ? AND "
                 "rowid = ?");
    snippet.bind(1, match).bind(2, chunk_id);
    return snippet.step() ? snippet.text(0) : std::string();
  }

  bool kb_has_vectors(const std::string& model) override {
    Stmt s(m_db, "SELECT 1 FROM kb_embeddings WHERE model = ? LIMIT 1");
    s.bind(1, model);
    return s.step();
  }

  std::optional<KbHit> kb_hit(int64_t chunk_id) override {
    Stmt s(
        m_db,
        std::string("SELECT ") + k_kb_chunk_cols +
            ", s.location, s.title FROM kb_chunks c JOIN kb_sources s ON s.id = c.source_id WHERE c.id = ?");
    s.bind(1, chunk_id);
    if (!s.step()) return std::nullopt;
    KbHit h;
    h.chunk = read_kb_chunk(s);
    h.location = s.text(8);
    h.title = s.text(9);
    return h;
  }

  int64_t add_llm_call(const LlmCall& c) override {
    std::lock_guard lock(process_write_mutex());
    auto opt = [](std::optional<int> v) { return v ? std::optional<int64_t>(*v) : std::nullopt; };
    Stmt s(m_db,
           "INSERT INTO llm_calls (backend, model, purpose, prompt, response, prompt_tokens, completion_tokens, "
           "latency_ms, status, error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, c.backend).bind(2, c.model).bind(3, c.purpose).bind_outside(4, c.prompt).bind_outside_or_null(5, c.response);
    s.bind(6, opt(c.prompt_tokens)).bind(7, opt(c.completion_tokens)).bind(8, static_cast<int64_t>(c.latency_ms));
    s.bind(9, c.status).bind_outside_or_null(10, c.error).bind(11, c.created_at).run();
    return sqlite3_last_insert_rowid(m_db);
  }

  std::vector<LlmCall> llm_calls_since(Timestamp since) override {
    Stmt s(m_db,
           "SELECT backend, model, purpose, prompt_tokens, completion_tokens, latency_ms, status, created_at "
           "FROM llm_calls WHERE created_at >= ? ORDER BY created_at, id");
    s.bind(1, since);
    std::vector<LlmCall> out;
    while (s.step()) {
      LlmCall c;
      c.backend = s.text(0);
      c.model = s.text(1);
      c.purpose = s.text(2);
      if (auto n = s.opt_i64(3)) c.prompt_tokens = static_cast<int>(*n);
      if (auto n = s.opt_i64(4)) c.completion_tokens = static_cast<int>(*n);
      c.latency_ms = s.opt_i64(5).value_or(0);
      c.status = s.text(6);
      c.created_at = s.time(7);
      out.push_back(std::move(c));
    }
    return out;
  }

  bool add_inbox_item(InboxItem& i) override {
    Stmt s(m_db,
           "INSERT INTO inbox_items (account_id, kind, remote_id, thread_id, parent_remote_id, "
           "delivery_id, author, author_name, text, url, created_at, fetched_at, status, meta) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (account_id, remote_id) DO NOTHING");
    s.bind(1, i.account_id).bind(2, i.kind).bind(3, i.remote_id).bind_text_or_null(4, i.thread_id);
    s.bind_text_or_null(5, i.parent_remote_id).bind(6, i.delivery_id).bind_outside(7, i.author);
    s.bind_outside_or_null(8, i.author_name).bind_outside(9, i.text).bind_outside_or_null(10, i.url);
    s.bind(11, i.created_at).bind(12, i.fetched_at).bind(13, i.status).bind_outside(14, i.meta).run();
    if (sqlite3_changes(m_db) != 1) return false;
    i.id = sqlite3_last_insert_rowid(m_db);
    return true;
  }

  std::vector<InboxItem> list_inbox(const InboxFilter& f) override {
    std::string sql = std::string("SELECT ") + k_inbox_cols + " FROM inbox_items WHERE 1=1";
    if (!f.statuses.empty()) sql += " AND status IN (" + placeholders(f.statuses.size()) + ")";
    if (!f.kinds.empty()) sql += " AND kind IN (" + placeholders(f.kinds.size()) + ")";
    if (f.account_id) sql += " AND account_id = ?";
    if (f.since) sql += " AND created_at >= ?";
    if (!f.intents.empty())
      sql += " AND triage IS NOT NULL AND json_extract(triage, '$.intent') IN (" +
             placeholders(f.intents.size()) + ")";
    if (f.urgent) sql += " AND json_extract(triage, '$.urgency') = 'high'";
    if (f.untriaged) sql += " AND (triage IS NULL OR triage = '')";
    sql += f.oldest_first ? " ORDER BY created_at, id" : " ORDER BY created_at DESC, id DESC";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    Stmt s(m_db, sql);
    int n = 1;
    for (const auto& st : f.statuses) s.bind(n++, st);
    for (const auto& k : f.kinds) s.bind(n++, k);
    if (f.account_id) s.bind(n++, *f.account_id);
    if (f.since) s.bind(n++, *f.since);
    for (const auto& i : f.intents) s.bind(n++, i);
    std::vector<InboxItem> out;
    while (s.step()) out.push_back(read_inbox(s));
    return out;
  }

  std::optional<InboxItem> find_inbox_item(int64_t id) override {
    Stmt s(m_db, std::string("SELECT ") + k_inbox_cols + " FROM inbox_items WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_inbox(s);
  }

  void set_inbox_status(int64_t id, const std::string& status, const std::string& reply_remote_id,
                        const std::string& reply_text) override {
    Stmt(m_db,
         "UPDATE inbox_items SET status = ?, reply_remote_id = COALESCE(?, reply_remote_id), "
         "reply_text = COALESCE(?, reply_text) WHERE id = ?")
        .bind(1, status)
        .bind_text_or_null(2, reply_remote_id)
        .bind_outside_or_null(3, reply_text)
        .bind(4, id)
        .run();
  }

  std::vector<InboxHit> search_inbox(const std::string& match, const InboxFilter& f) override {
    // Ids and scores first (sorting only numbers), then each item and its snippet by id.
    std::string sql =
        "SELECT i.id, bm25(inbox_fts) AS r FROM inbox_fts JOIN inbox_items i ON i.id = inbox_fts.rowid "
        "WHERE inbox_fts MATCH ?";
    if (!f.statuses.empty()) sql += " AND i.status IN (" + placeholders(f.statuses.size()) + ")";
    if (!f.kinds.empty()) sql += " AND i.kind IN (" + placeholders(f.kinds.size()) + ")";
    if (f.account_id) sql += " AND i.account_id = ?";
    if (f.since) sql += " AND i.created_at >= ?";
    sql += " ORDER BY r, i.id DESC LIMIT ?";
    Stmt s(m_db, sql);
    int n = 1;
    s.bind(n++, match);
    for (const auto& st : f.statuses) s.bind(n++, st);
    for (const auto& k : f.kinds) s.bind(n++, k);
    if (f.account_id) s.bind(n++, *f.account_id);
    if (f.since) s.bind(n++, *f.since);
    s.bind(n++, f.limit > 0 ? f.limit : 1000000);
    std::vector<std::pair<int64_t, double>> ids;
    while (s.step()) ids.emplace_back(s.i64(0), s.opt_double(1).value_or(0));
    std::vector<InboxHit> out;
    Stmt item(m_db, std::string("SELECT ") + k_inbox_cols + " FROM inbox_items WHERE id = ?");
    Stmt snippet(m_db,
                 "SELECT snippet(inbox_fts, -1, char(2), char(3), '…', 20) FROM inbox_fts WHERE inbox_fts MATCH ? "
                 "AND rowid = ?");
    for (const auto& [id, rank] : ids) {
      item.reset();
      item.bind(1, id);
      if (!item.step()) continue;
      InboxHit h;
      h.item = read_inbox(item);
      h.reply_text = h.item.reply_text;
      h.score = -rank;
      snippet.reset();
      snippet.bind(1, match).bind(2, id);
      if (snippet.step()) h.snippet = snippet.text(0);
      out.push_back(std::move(h));
    }
    return out;
  }

  std::optional<InboxItem> find_inbox_by_remote_id(int64_t account_id,
                                                   const std::string& remote_id) override {
    Stmt s(m_db, std::string("SELECT ") + k_inbox_cols +
                     " FROM inbox_items WHERE account_id = ? AND (remote_id = ? OR reply_remote_id = ?) "
                     "ORDER BY remote_id = ? DESC LIMIT 1");
    s.bind(1, account_id).bind(2, remote_id).bind(3, remote_id).bind(4, remote_id);
    if (!s.step()) return std::nullopt;
    return read_inbox(s);
  }

  std::vector<InboxItem> thread_items(int64_t account_id, const std::string& thread_id) override {
    Stmt s(m_db, std::string("SELECT ") + k_inbox_cols +
                     " FROM inbox_items WHERE account_id = ? AND thread_id = ? ORDER BY created_at, id");
    s.bind(1, account_id).bind(2, thread_id);
    std::vector<InboxItem> out;
    while (s.step()) out.push_back(read_inbox(s));
    return out;
  }

  void set_inbox_triage(int64_t id, const std::string& triage) override {
    Stmt(m_db, "UPDATE inbox_items SET triage = ? WHERE id = ?")
        .bind_outside_or_null(1, triage)
        .bind(2, id)
        .run();
  }

  void replace_suggestions(int64_t item_id, std::vector<Suggestion>& list) override {
    transaction(m_db, [&] {
      Stmt(m_db, "DELETE FROM inbox_suggestions WHERE item_id = ?").bind(1, item_id).run();
      Stmt ins(m_db,
               "INSERT INTO inbox_suggestions (item_id, number, text, sources, confidence, grounded, model, "
               "template, "
               "created_at) VALUES (?,?,?,?,?,?,?,?,?)");
      int number = 0;
      for (auto& g : list) {
        g.item_id = item_id;
        g.number = ++number;
        ins.reset();
        ins.bind(1, item_id)
            .bind(2, static_cast<int64_t>(g.number))
            .bind_outside(3, g.text)
            .bind_outside(4, g.sources);
        ins.bind(5, g.confidence).bind(6, static_cast<int64_t>(g.grounded ? 1 : 0)).bind_outside(7, g.model);
        ins.bind(8, g.template_version).bind(9, g.created_at).run();
        g.id = sqlite3_last_insert_rowid(m_db);
      }
    });
  }

  std::vector<Suggestion> suggestions(int64_t item_id) override {
    Stmt s(m_db,
           "SELECT id, item_id, number, text, sources, confidence, grounded, model, template, created_at "
           "FROM inbox_suggestions WHERE item_id = ? ORDER BY number");
    s.bind(1, item_id);
    std::vector<Suggestion> out;
    while (s.step())
      out.push_back({s.i64(0), s.i64(1), static_cast<int>(s.i64(2)), s.text(3), s.text(4),
                     s.opt_double(5).value_or(0), s.i64(6) != 0, s.text(7), s.text(8), s.time(9)});
    return out;
  }

  std::optional<std::string> cursor(int64_t account_id, const std::string& stream) override {
    Stmt s(m_db, "SELECT cursor FROM cursors WHERE account_id = ? AND stream = ?");
    s.bind(1, account_id).bind(2, stream);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  }

  void set_cursor(int64_t account_id, const std::string& stream, const std::string& c,
                  Timestamp now) override {
    Stmt(m_db,
         "INSERT INTO cursors (account_id, stream, cursor, updated_at) VALUES (?,?,?,?) "
         "ON CONFLICT (account_id, stream) DO UPDATE SET cursor = excluded.cursor, "
         "updated_at = excluded.updated_at")
        .bind(1, account_id)
        .bind(2, stream)
        .bind(3, c)
        .bind(4, now)
        .run();
  }

  std::optional<int64_t> delivery_by_remote_id(int64_t account_id,
                                               const std::string& remote_id) override {
    Stmt s(m_db, "SELECT id FROM deliveries WHERE account_id = ? AND remote_id = ?");
    s.bind(1, account_id).bind(2, remote_id);
    if (!s.step()) return std::nullopt;
    return s.i64(0);
  }

  void add_metrics(const std::vector<MetricSnapshot>& snapshots) override {
    transaction(m_db, [&] {
      for (const auto& m : snapshots) {
        Stmt s(m_db,
               "INSERT INTO metrics (delivery_id, taken_at, likes, reposts, replies, quotes, views, "
               "upvote_ratio) "
               "VALUES (?,?,?,?,?,?,?,?)");
        s.bind(1, m.delivery_id).bind(2, m.taken_at).bind(3, m.likes).bind(4, m.reposts);
        s.bind(5, m.replies).bind(6, m.quotes).bind(7, m.views).bind(8, m.upvote_ratio).run();
      }
    });
  }

  void add_account_metric(const AccountMetric& m) override {
    Stmt(m_db,
         "INSERT INTO account_metrics (account_id, taken_at, followers, following, posts, score) "
         "VALUES (?,?,?,?,?,?)")
        .bind(1, m.account_id)
        .bind(2, m.taken_at)
        .bind(3, m.followers)
        .bind(4, m.following)
        .bind(5, m.posts)
        .bind(6, m.score)
        .run();
  }

  std::vector<MetricSnapshot> latest_metrics(Timestamp since) override {
    Stmt s(
        m_db,
        "SELECT m.delivery_id, m.taken_at, m.likes, m.reposts, m.replies, m.quotes, m.views, m.upvote_ratio "
        "FROM metrics m JOIN deliveries d ON d.id = m.delivery_id "
        "WHERE d.published_at >= ? AND m.id = (SELECT id FROM metrics m2 WHERE "
        "m2.delivery_id = m.delivery_id ORDER BY taken_at DESC, id DESC LIMIT 1) "
        "ORDER BY m.delivery_id");
    s.bind(1, since);
    std::vector<MetricSnapshot> out;
    while (s.step())
      out.push_back(
          {s.i64(0), s.time(1), s.i64(2), s.i64(3), s.i64(4), s.i64(5), s.opt_i64(6), s.opt_double(7)});
    return out;
  }

  std::optional<MetricSnapshot> latest_metric(int64_t delivery_id) override {
    Stmt s(m_db,
           "SELECT delivery_id, taken_at, likes, reposts, replies, quotes, views, upvote_ratio FROM metrics "
           "WHERE delivery_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1");
    s.bind(1, delivery_id);
    if (!s.step()) return std::nullopt;
    return MetricSnapshot{s.i64(0), s.time(1), s.i64(2),     s.i64(3),
                          s.i64(4), s.i64(5),  s.opt_i64(6), s.opt_double(7)};
  }

  std::vector<AccountMetric> account_metrics(int64_t account_id, Timestamp since) override {
    Stmt s(m_db,
           "SELECT account_id, taken_at, followers, following, posts, score FROM account_metrics "
           "WHERE account_id = ? AND taken_at >= ? ORDER BY taken_at, id");
    s.bind(1, account_id).bind(2, since);
    std::vector<AccountMetric> out;
    while (s.step()) out.push_back({s.i64(0), s.time(1), s.i64(2), s.opt_i64(3), s.opt_i64(4), s.opt_i64(5)});
    return out;
  }

 private:
  sqlite3* m_db;
};

}  // namespace

std::string to_string(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::queued: return "queued";
    case DeliveryStatus::publishing: return "publishing";
    case DeliveryStatus::published: return "published";
    case DeliveryStatus::failed: return "failed";
    case DeliveryStatus::dead: return "dead";
    case DeliveryStatus::cancelled: return "cancelled";
  }
  return "failed";
}

std::optional<DeliveryStatus> delivery_status_from_string(std::string_view s) {
  for (auto st : {DeliveryStatus::queued, DeliveryStatus::publishing, DeliveryStatus::published,
                  DeliveryStatus::failed, DeliveryStatus::dead, DeliveryStatus::cancelled})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

namespace {

// What went wrong when opening, in words that lead to the right fix: a full disk or a
// read-only file system is not a broken database, and moving the file away would not help.
Error open_error(const std::filesystem::path& path, int code, const std::string& detail) {
  std::string where = "'" + path.string() + "'";
  // SQLite says "disk I/O error" when it cannot make its journal or shared-memory file: ask the
  // file system why, so a full disk is not called a broken database.
  int primary = code & 0xff;
  if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_ERROR) {
    struct statvfs fs {};
    auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (::statvfs(dir.c_str(), &fs) == 0) {
      if (fs.f_flag & ST_RDONLY) primary = SQLITE_READONLY;
      else if (fs.f_bavail == 0 || fs.f_favail == 0) primary = SQLITE_FULL;
    }
  }
  switch (primary) {
    case SQLITE_FULL:
      return Error(ErrorKind::temporary, "the disk holding the database " + where + " is full",
                   "free some space and run the command again; nothing was lost");
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Error(ErrorKind::config, "cannot write the database " + where + ": " + detail,
                   "crier needs to write it: check the file's permissions and that its file system is writable");
    case SQLITE_CANTOPEN:
      return Error(ErrorKind::config, "cannot open the database " + where + ": " + detail,
                   "check the path (--db, CRIER_DB or store.path) and its directory's permissions");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorKind::temporary, "the database " + where + " is busy: " + detail,
                   "another crier holds it; try again in a moment");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Error(ErrorKind::config, where + " is not a crier database (or it is damaged): " + detail,
                   "point --db at another file; if it was crier's, keep a copy and run crier doctor");
    default:
      return Error(ErrorKind::config, where + " is not a usable crier database: " + detail,
                   "point --db at another file, or move this one away");
  }
}

// crier creates its database itself, mode 0600 from birth and never through a link left at
// the name; a file that is there already is used as it is (its mode is the owner's business,
// crier never changes it), and must be a regular file: not a directory, a device or a socket.
void prepare_db_file(const std::filesystem::path& path, bool follow_symlinks) {
  struct stat st {};
  if (!follow_symlinks && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    throw Error(ErrorKind::config, "the database '" + path.string() + "' is a symbolic link",
                "crier keeps its own database as a plain file; remove the link, or name the target with --db");
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      throw Error(ErrorKind::config, "the database '" + path.string() + "' is not a regular file",
                  "point --db at a database file (it is created when missing)");
    return;
  }
  if (errno != ENOENT)
    throw Error(ErrorKind::config, "cannot open the database '" + path.string() + "': " + std::strerror(errno),
                "check the path (--db, CRIER_DB or store.path) and its directory's permissions");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  int err = errno;
  if (err == EEXIST)  // a link to nowhere: sqlite would create its target
    throw Error(ErrorKind::config, "the database '" + path.string() + "' is a link to a file that does not exist",
                "remove the link, or name a file with --db");
  if (err == ENOSPC || err == EDQUOT) throw open_error(path, SQLITE_FULL, std::strerror(err));
  if (err == EROFS || err == EACCES) throw open_error(path, SQLITE_READONLY, std::strerror(err));
  throw open_error(path, SQLITE_CANTOPEN, std::strerror(err));
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path, int target_version,
                                         bool follow_symlinks) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  prepare_db_file(path, follow_symlinks);
  // The journal files (-wal, -shm) take the database's mode; a tight umask covers the moment
  // before that, too.
  mode_t old = ::umask(077);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    int code = db ? sqlite3_extended_errcode(db) : rc;
    sqlite3_close_v2(db);
    throw open_error(path, code, msg);
  }
  auto store = std::make_unique<SqliteStore>(db);
  sqlite3_busy_timeout(db, 10000);
  try {
    exec(db, "PRAGMA foreign_keys = ON");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = NORMAL");
    store->migrate(target_version);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::internal || e.kind() == ErrorKind::temporary)
      throw open_error(path, sqlite3_extended_errcode(db), e.what());
    throw;
  }
  return store;
}

}  // namespace crier
