#include "engine/publisher.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "engine/accounts.hpp"
#include "engine/composer.hpp"
#include "engine/schedules.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "provider/provider.hpp"
#include "store/store.hpp"

namespace crier {
namespace {

using namespace std::chrono;

seconds backoff(const Config& config, int attempts, std::optional<seconds> retry_after) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  double base = static_cast<double>(config.get_int("publish.backoff_seconds"));
  double delay = base * std::pow(2.0, std::max(0, attempts - 1));
  delay = std::min(delay, 6.0 * 3600.0);
  delay *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  auto s = seconds{static_cast<long long>(delay)};
  if (retry_after && *retry_after > s) s = *retry_after;
  return s;
}

PublishRequest request_for(Engine& engine, const Delivery& d, const Account& account,
                           Provider& provider) {
  auto post = engine.store.find_post(d.post_id);
  if (!post) throw Error(ErrorKind::internal, "delivery " + std::to_string(d.id) + " has no post");
  PublishRequest q;
  q.idempotency_key = d.idempotency_key;
  q.created_at = d.created_at;
  auto options = nlohmann::json::parse(post->options, nullptr, false);
  if (options.is_object()) {
    q.lang = options.value("lang", "");
    q.visibility = options.value("visibility", "");
    q.content_warning = options.value("content_warning", "");
    q.link_card = options.value("card", true);
  }
  auto parts = parts_for(*post, provider.text_rules(account));
  for (size_t i = 0; i < parts.size(); ++i)
    q.parts.push_back({parts[i], i == 0 ? post->media : std::vector<MediaItem>{}});
  return q;
}

DeliveryOutcome attempt(Engine& engine, const Lease& lease, const std::string& owner) {
  const Delivery& d = lease.delivery;
  DeliveryOutcome out;
  out.delivery = d;
  auto account = engine.store.find_account(d.account_id);
  if (account) out.account = account->name();
  Timestamp now = engine.clock.now();
  try {
    if (!account) throw Error(ErrorKind::permanent, "the account was removed");
    Provider& provider = engine.providers.get(account->network);
    Session session = open_session(engine, *account);
    PublishRequest q = request_for(engine, d, *account, provider);
    std::optional<PublishResult> result;
    // The outcome of the last attempt is unknown when its worker died mid-call (the lease was
    // reclaimed) or when it ended in a transient error (a 5xx or a timeout may come after the
    // network made the post). Then look before sending again: a network's idempotency key
    // would catch the resend, but not every network has one, and none keeps it forever.
    bool unknown = lease.reclaimed || d.last_error_kind == to_string(ErrorKind::transient);
    if (unknown) {
      spdlog::info("delivery {}: the last attempt's outcome is unknown; reconciling with {}", d.id,
                   account->network);
      result = provider.reconcile(session, q);
      out.reconciled = result.has_value();
    }
    if (!result) result = provider.publish(session, q);
    const auto& root = result->parts.at(0);
    now = engine.clock.now();
    if (!engine.store.mark_published(d.id, owner, root.remote_id, root.url, now)) {
      out.result = "lost_lease";
      out.error = "the lease expired before the outcome was recorded; the next run reconciles";
      return out;
    }
    out.result = "published";
    out.delivery.status = DeliveryStatus::published;
    out.delivery.remote_id = root.remote_id;
    out.delivery.remote_url = root.url;
    out.delivery.published_at = now;
    return out;
  } catch (const Error& e) {
    out.error_kind = e.kind();
    out.error = e.what();
    out.hint = e.hint();
    std::string kind(to_string(e.kind()));
    now = engine.clock.now();
    int max_attempts = static_cast<int>(engine.config.get_int("publish.max_attempts"));
    if (e.kind() == ErrorKind::auth) {
      // Pause the account: its deliveries wait (queued) until it is reconnected.
      engine.store.set_account_status(d.account_id, "auth_failed");
      engine.store.mark_unsuccessful(d.id, owner, DeliveryStatus::queued, kind, e.what(), std::nullopt);
      out.result = "paused";
      out.delivery.status = DeliveryStatus::queued;
      if (out.hint.empty() && account)
        out.hint = "reconnect: crier accounts add " + account->network + " --handle " + account->handle;
    } else if (is_retryable(e.kind()) && d.attempts < max_attempts) {
      Timestamp next = now + backoff(engine.config, d.attempts, e.retry_after());
      engine.store.mark_unsuccessful(d.id, owner, DeliveryStatus::queued, kind, e.what(), next);
      out.result = "retry";
      out.delivery.status = DeliveryStatus::queued;
      out.delivery.next_attempt_at = next;
    } else if (is_retryable(e.kind())) {
      engine.store.mark_unsuccessful(d.id, owner, DeliveryStatus::dead, kind, e.what(), std::nullopt);
      out.result = "dead";
      out.delivery.status = DeliveryStatus::dead;
    } else {
      engine.store.mark_unsuccessful(d.id, owner, DeliveryStatus::failed, kind, e.what(), std::nullopt);
      out.result = "failed";
      out.delivery.status = DeliveryStatus::failed;
    }
    out.delivery.last_error = e.what();
    out.delivery.last_error_kind = kind;
    return out;
  }
}

}  // namespace

int PublishReport::exit_code() const {
  bool any_published = false, any_failed = false, all_deferred = !outcomes.empty();
  for (const auto& o : outcomes) {
    if (o.result == "published") any_published = true;
    if (o.result != "published") any_failed = true;
    if (o.result != "retry" && o.result != "lost_lease") all_deferred = false;
  }
  if (!any_failed) return exit_code::ok;
  if (!any_published && all_deferred) return exit_code::temporary;
  return exit_code::partial;
}

std::string new_worker_id() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(rd() % 100000);
}

WorkerKit::~WorkerKit() = default;

namespace {

// The shared state of one run's workers: how many deliveries are in flight, what was claimed,
// and the report. A worker that finds nothing claimable waits while others are still working
// (their accounts may have more once they finish) and stops when nobody is.
struct RunState {
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  int claimed = 0;
  int finished = 0;  // attempts ended: a waiter looks again when this moves
  bool done = false;
  std::vector<int64_t> seen;
  PublishReport report;
};

void work(Engine& engine, const PublishOptions& options, const std::string& owner, RunState& run) {
  auto lease_for = seconds{engine.config.get_int("publish.lease_seconds")};
  for (;;) {
    {
      std::unique_lock lock(run.mutex);
      if (run.done || (options.limit > 0 && run.claimed >= options.limit)) return;
      ++run.in_flight;  // reserved before claiming, so "nobody is working" is never wrong
    }
    Timestamp now = engine.clock.now();
    std::optional<Lease> lease;
    try {
      lease = engine.store.claim_due(now, owner, now + lease_for, options.post_id);
    } catch (...) {
      std::unique_lock lock(run.mutex);
      --run.in_flight;
      run.done = true;
      run.changed.notify_all();
      throw;
    }
    if (!lease) {
      std::unique_lock lock(run.mutex);
      --run.in_flight;
      if (run.in_flight == 0) {
        run.done = true;
        run.changed.notify_all();
        return;
      }
      int before = run.finished;
      run.changed.wait(lock, [&] { return run.done || run.finished != before; });
      continue;
    }
    bool again;
    {
      std::unique_lock lock(run.mutex);
      ++run.claimed;
      again = std::find(run.seen.begin(), run.seen.end(), lease->delivery.id) != run.seen.end();
      run.seen.push_back(lease->delivery.id);
    }
    DeliveryOutcome out = attempt(engine, *lease, owner);
    std::unique_lock lock(run.mutex);
    --run.in_flight;
    ++run.finished;
    // One outcome per delivery: a second attempt in the same run replaces the first.
    auto same = std::find_if(run.report.outcomes.begin(), run.report.outcomes.end(),
                             [&](const DeliveryOutcome& o) { return o.delivery.id == out.delivery.id; });
    if (same != run.report.outcomes.end()) {
      bool reconciled = same->reconciled || out.reconciled;
      *same = std::move(out);
      same->reconciled = reconciled;
    } else {
      run.report.outcomes.push_back(std::move(out));
    }
    // A delivery retried in this run is not tried a third time in the same run.
    if (again) run.done = true;
    run.changed.notify_all();
  }
}

}  // namespace

PublishReport publish_due(Engine& engine, const PublishOptions& options) {
  // The cron path: a read-only look first, so an idle run never takes the write lock.
  auto next = engine.store.next_due_time();
  if (!next || *next > engine.clock.now()) return {};
  extend_schedules(engine, engine.clock.now());
  const std::string owner = new_worker_id();
  RunState run;
  int threads = options.make_worker ? std::max(1, options.concurrency) : 1;
  if (threads == 1) {
    work(engine, options, owner, run);
    return std::move(run.report);
  }
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      try {
        auto kit = options.make_worker();
        // Each thread its own lease owner: an outcome is recorded only by the thread that holds it.
        work(*kit->engine, options, owner + "#" + std::to_string(i), run);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        std::lock_guard run_lock(run.mutex);
        run.done = true;
        run.changed.notify_all();
      }
    });
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return std::move(run.report);
}

}  // namespace crier
