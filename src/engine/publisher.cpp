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
#include "engine/queue_refs.hpp"
#include "engine/schedules.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "provider/provider.hpp"
#include "store/store.hpp"

namespace crier {
namespace {

using namespace std::chrono;

// A remote post can carry a time a little before our clock's "the attempt began": the
// network's clock is not ours. Reconcile looks back this much further.
constexpr auto k_clock_margin = minutes{2};

// A wait the network asked for, bounded by publish.max_wait_seconds: a Retry-After of 999999999
// seconds must not park a post until 2058.
seconds bounded_wait(const Config& config, seconds wait, const std::string& who) {
  seconds cap{config.get_int("publish.max_wait_seconds")};
  if (wait <= cap) return wait;
  spdlog::warn("{}: the network asked to wait {} s; waiting {} s at most (publish.max_wait_seconds)", who,
               wait.count(), cap.count());
  return cap;
}

seconds backoff(const Config& config, int attempts, std::optional<seconds> retry_after, const std::string& who) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  double base = static_cast<double>(config.get_int("publish.backoff_seconds"));
  double delay = base * std::pow(2.0, std::max(0, attempts - 1));
  delay = std::min(delay, 6.0 * 3600.0);
  delay *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  auto s = seconds{static_cast<long long>(delay)};
  if (retry_after && *retry_after > s) s = bounded_wait(config, *retry_after, who);
  return s;
}

PublishRequest request_for(Engine& engine, const Delivery& d, const Account& account, Provider& provider) {
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
    q.title = options.value("title", "");
    // Each network gets the options it declares (and the title when its posts have one).
    const ProviderInfo* info = find_provider(account.network);
    if (options.contains("opts") && options["opts"].is_object() && info)
      for (const auto& [k, v] : options["opts"].items())
        for (const auto& o : info->post_options)
          if (o.name == k && v.is_string()) q.options[k] = v.get<std::string>();
    if (!provider.capabilities().title) q.title.clear();
  }
  auto parts = parts_for(*post, provider.text_rules(account));
  for (size_t i = 0; i < parts.size(); ++i)
    q.parts.push_back({parts[i], i == 0 ? post->media : std::vector<MediaItem>{}});
  q.attempt_started = d.first_attempt_at.value_or(engine.clock.now());
  q.not_before = q.attempt_started - k_clock_margin;
  Store& store = engine.store;
  int64_t account_id = d.account_id, id = d.id;
  q.taken = [&store, account_id, id](const std::string& remote_id) {
    auto other = store.delivery_by_remote_id(account_id, remote_id);
    return other.has_value() && *other != id;
  };
  q.progress = d.progress;
  return q;
}

// A provider's answer is trusted only when it is whole: as many parts as were asked for, each
// with an id. Anything else means the network may have made the post and crier cannot say
// which: the outcome is unknown (transient), and the next attempt reconciles.
void check_result(const PublishResult& r, const PublishRequest& q, const std::string& network, const char* what) {
  if (r.parts.size() != q.parts.size())
    throw Error(ErrorKind::transient, network + " " + what + " gave " + std::to_string(r.parts.size()) + " of " +
                                          std::to_string(q.parts.size()) + " parts; the outcome is unknown");
  for (const auto& p : r.parts)
    if (p.remote_id.empty())
      throw Error(ErrorKind::transient,
                  network + " " + what + " answered without the post's id; whether it was made is unknown");
}

std::vector<RemotePart> remote_parts(const PublishResult& r) {
  std::vector<RemotePart> out;
  for (const auto& p : r.parts) out.push_back({p.remote_id, p.url});
  return out;
}

// What one attempt has in hand, so a failure can still look on the network.
struct AttemptState {
  std::optional<Account> account;
  Provider* provider = nullptr;
  std::optional<Session> session;
  std::optional<PublishRequest> request;
  bool unknown = false;   // an earlier attempt's outcome is unknown
  bool resolved = false;  // a reconcile finished in this attempt
};

// Looks on the network (reconcile), and finishes a thread cut short. Returns the whole result,
// or nullopt when nothing of it is there.
std::optional<PublishResult> look_and_finish(AttemptState& st, bool finish) {
  auto found = st.provider->reconcile(*st.session, *st.request);
  st.resolved = true;
  if (!found || found->parts.empty()) return std::nullopt;
  for (const auto& p : found->parts)
    if (p.remote_id.empty())
      throw Error(ErrorKind::transient, st.account->network + " reconcile found a post without an id");
  if (found->parts.size() > st.request->parts.size())
    throw Error(ErrorKind::internal, st.account->network + " reconcile found more parts than were sent");
  if (found->parts.size() == st.request->parts.size() || !finish) return found;
  spdlog::info("{}: {} of {} parts are on the network; publishing the rest", st.account->name(),
               found->parts.size(), st.request->parts.size());
  st.request->already = found->parts;
  auto rest = st.provider->publish(*st.session, *st.request);
  st.request->already.clear();
  return rest;
}

DeliveryOutcome record_published(Engine& engine, DeliveryOutcome out, const PublishResult& result,
                                 const std::string& owner, std::optional<Timestamp> scheduled = std::nullopt) {
  // Handed to the network's own scheduling: it is published when the network says it will be.
  Timestamp now = scheduled.value_or(engine.clock.now());
  out.native_schedule = scheduled.has_value();
  if (!engine.store.mark_published(out.delivery.id, owner, remote_parts(result), now)) {
    out.result = "lost_lease";
    out.error = "the lease expired before the outcome was recorded; the next run reconciles";
    return out;
  }
  out.result = "published";
  out.delivery.status = DeliveryStatus::published;
  out.delivery.remote_id = result.parts.at(0).remote_id;
  out.delivery.remote_url = result.parts.at(0).url;
  out.delivery.remote_parts = remote_parts(result);
  out.delivery.published_at = now;
  out.delivery.outcome_unknown = false;
  return out;
}

DeliveryOutcome record_failure(Engine& engine, AttemptState& st, DeliveryOutcome out, const Error& e,
                               const std::string& owner) {
  const Delivery& d = out.delivery;
  std::string who = out.account.empty() ? "delivery " + std::to_string(d.id) : out.account;
  out.error_kind = e.kind();
  out.error = e.what();
  out.hint = e.hint();
  AttemptFailure f;
  f.error_kind = std::string(to_string(e.kind()));
  f.error = e.what();
  // Unknown stays unknown until a reconcile finishes; a timeout or a 5xx makes it unknown anew.
  f.outcome_unknown = (st.unknown && !st.resolved) || e.kind() == ErrorKind::transient;
  Timestamp now = engine.clock.now();
  int max_attempts = static_cast<int>(engine.config.get_int("publish.max_attempts"));
  if (e.kind() == ErrorKind::auth) {
    // Pause the account: its deliveries wait (queued) until it is reconnected. Not the post's fault.
    engine.store.set_account_status(d.account_id, "auth_failed");
    f.status = DeliveryStatus::queued;
    f.counted = false;
    out.result = "paused";
    if (out.hint.empty() && st.account)
      out.hint = reconnect_hint(*st.account);
  } else if (e.kind() == ErrorKind::config) {
    // Crier's own setup is wrong (a token_cmd that fails, a broken setting): not the post's
    // fault, and not the network's. It waits, without spending attempts, until that is fixed.
    f.status = DeliveryStatus::queued;
    f.counted = false;
    f.next_attempt_at = now + backoff(engine.config, 1, std::nullopt, who);
    out.result = "retry";
  } else if (e.kind() == ErrorKind::rate_limited) {
    // A wait is not an attempt. The whole account waits (no other delivery of it is claimed
    // before the reset), and this delivery goes first when it ends.
    seconds wait = e.retry_after() ? bounded_wait(engine.config, *e.retry_after(), who)
                                   : backoff(engine.config, 1, std::nullopt, who);
    f.status = DeliveryStatus::queued;
    f.counted = false;
    f.next_attempt_at = now + wait;
    engine.store.set_rate_limited(d.account_id, f.next_attempt_at);
    out.result = "retry";
  } else if (is_retryable(e.kind()) && d.attempts < max_attempts) {
    f.status = DeliveryStatus::queued;
    f.next_attempt_at = now + backoff(engine.config, d.attempts, e.retry_after(), who);
    out.result = "retry";
  } else if (is_retryable(e.kind())) {
    // Before giving up, look: the post may be on the network after all.
    if (f.outcome_unknown && st.provider && st.session && st.request) {
      std::optional<PublishResult> found;
      try {
        found = look_and_finish(st, true);
        if (found) check_result(*found, *st.request, st.account->network, "reconcile");
        else f.outcome_unknown = false;  // looked: it is not there
      } catch (const Error& again) {
        found.reset();
        spdlog::warn("{}: could not look for the post before giving up: {}", who, again.what());
      }
      if (found) {
        out.reconciled = true;
        out.error_kind.reset();
        out.error.clear();
        out.hint.clear();
        return record_published(engine, std::move(out), *found, owner, st.request->schedule_at);
      }
    }
    f.status = DeliveryStatus::dead;
    out.result = "dead";
    if (f.outcome_unknown) {
      f.error += " (whether the network made the post is unknown)";
      out.hint = "crier queue retry " + ref_for(engine.store, d) + " looks on the network before sending again";
    }
  } else {
    f.status = DeliveryStatus::failed;
    out.result = "failed";
  }
  engine.store.mark_unsuccessful(d.id, owner, f);
  out.delivery.status = f.status;
  out.delivery.next_attempt_at = f.next_attempt_at;
  out.delivery.last_error = f.error;
  out.delivery.last_error_kind = f.error_kind;
  out.delivery.outcome_unknown = f.outcome_unknown;
  if (!f.counted) out.delivery.attempts = std::max(0, out.delivery.attempts - 1);
  return out;
}

DeliveryOutcome attempt(Engine& engine, const Lease& lease, const std::string& owner) {
  const Delivery& d = lease.delivery;
  DeliveryOutcome out;
  out.delivery = d;
  AttemptState st;
  st.account = engine.store.find_account(d.account_id);
  if (st.account) out.account = st.account->name();
  // The outcome of an earlier attempt is unknown when its worker died mid-call (the lease was
  // reclaimed) or it ended so that the network may have made the post (a 5xx, a timeout, an
  // answer without an id). Then look before sending again: a network's idempotency key would
  // catch the resend, but not every network has one, and none keeps it forever.
  st.unknown = lease.reclaimed || d.outcome_unknown;
  std::optional<PublishResult> result;
  try {
    if (!st.account) throw Error(ErrorKind::permanent, "the account was removed");
    st.provider = &engine.providers.get(st.account->network);
    // Claimed before its time to be handed to the network's own scheduling: only while it is
    // still far enough ahead for the network to take it. Closer, it waits for its time (not an
    // attempt) and goes out through crier's queue like any other.
    std::optional<Timestamp> schedule_at;
    Timestamp now = engine.clock.now();
    if (d.native_lead && d.due_at > now) {
      auto window = st.provider->native_scheduling();
      if (!window || d.due_at - now < window->min_lead) {
        AttemptFailure f;
        f.status = DeliveryStatus::queued;
        f.counted = false;
        f.outcome_unknown = st.unknown;
        f.next_attempt_at = d.due_at;
        f.error_kind = std::string(to_string(ErrorKind::temporary));
        f.error = "too close to its time for " + st.account->network +
                  "'s own scheduling; crier publishes it at its time";
        engine.store.mark_unsuccessful(d.id, owner, f);
        out.result = "retry";
        out.error_kind = ErrorKind::temporary;
        out.error = f.error;
        out.delivery.status = f.status;
        out.delivery.next_attempt_at = f.next_attempt_at;
        out.delivery.attempts = std::max(0, out.delivery.attempts - 1);
        return out;
      }
      schedule_at = d.due_at;
    }
    st.session = open_session(engine, *st.account);
    st.request = request_for(engine, d, *st.account, *st.provider);
    st.request->schedule_at = schedule_at;
    // Written through at once (before the provider's next request), and into the request, so
    // a reconcile later in this attempt sees what publish made.
    PublishRequest* q = &*st.request;
    q->save_progress = [&store = engine.store, id = d.id, q](const std::string& progress) {
      store.set_progress(id, progress);
      q->progress = progress;
    };
    if (st.unknown) {
      spdlog::info("delivery {}: the last attempt's outcome is unknown; reconciling with {}", d.id,
                   st.account->network);
      result = look_and_finish(st, true);
      out.reconciled = result.has_value();
    }
    if (!result) result = st.provider->publish(*st.session, *st.request);
    check_result(*result, *st.request, st.account->network, out.reconciled ? "reconcile" : "publish");
  } catch (const Error& e) {
    return record_failure(engine, st, std::move(out), e, owner);
  }
  // The post is made: nothing said about its token may turn it into a failure.
  try {
    out.warning = token_expiry_warning(*st.provider, *st.session, engine.clock.now());
  } catch (const std::exception& e) {
    spdlog::debug("token expiry of {}: {}", out.account, e.what());
  }
  // Outside the try: a store that cannot record the outcome is not a failed publish. The error
  // ends the run, the lease runs out, and the next run reconciles.
  return record_published(engine, std::move(out), *result, owner, st.request->schedule_at);
}

}  // namespace

int PublishReport::exit_code() const {
  bool any_published = false, any_failed = false, all_deferred = !outcomes.empty();
  for (const auto& o : outcomes) {
    if (o.result == "published") any_published = true;
    if (o.result != "published") any_failed = true;
    if (o.result != "retry" && o.result != "lost_lease" && o.result != "waiting") all_deferred = false;
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

namespace {

// A delivery of the post that this run did not attempt, and why: nothing is left unsaid.
DeliveryOutcome not_attempted(Engine& engine, const Delivery& d) {
  DeliveryOutcome out;
  out.delivery = d;
  auto account = engine.store.find_account(d.account_id);
  out.account = account ? account->name() : "?";
  Timestamp now = engine.clock.now();
  out.result = "waiting";
  out.error_kind = ErrorKind::temporary;
  if (account && account->status != "active") {
    out.result = "paused";
    out.error_kind = ErrorKind::auth;
    out.error = "not sent: the account is paused (" + account->status + ")";
    out.hint = reconnect_hint(*account);
  } else if (account && account->rate_limited_until && *account->rate_limited_until > now) {
    out.error = "not sent yet: the network rate limited the account until " + format_utc(*account->rate_limited_until);
    out.delivery.next_attempt_at = account->rate_limited_until;
  } else if (d.status == DeliveryStatus::publishing) {
    out.error = "not sent by this run: another crier is publishing it now";
  } else {
    out.error = "not sent yet: another crier is publishing for this account; this post goes out after it";
  }
  return out;
}

}  // namespace

PublishReport publish_due(Engine& engine, const PublishOptions& options) {
  PublishReport report = publish_due_now(engine, options);
  if (!options.post_id) return report;
  DeliveryFilter f;
  f.post_id = options.post_id;
  f.statuses = {DeliveryStatus::queued, DeliveryStatus::publishing};
  for (const auto& d : engine.store.list_deliveries(f)) {
    bool seen = std::any_of(report.outcomes.begin(), report.outcomes.end(),
                            [&](const DeliveryOutcome& o) { return o.delivery.id == d.id; });
    if (!seen) report.outcomes.push_back(not_attempted(engine, d));
  }
  return report;
}

PublishReport publish_due_now(Engine& engine, const PublishOptions& options) {
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
