// Publishing exactly once. A worker takes a lease on a due delivery (one transaction), calls
// the provider with the delivery's idempotency key, and records the outcome (another). A lease
// found expired means an earlier worker died mid-call: the provider reconciles (looks for the
// post on the network) before anything is sent again.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "error.hpp"
#include "store/types.hpp"

namespace crier {

class Transport;

// What one worker thread needs of its own: a store connection, an HTTP transport and the
// providers on it (none of them is shared between threads), and an Engine over them.
struct WorkerKit {
  std::unique_ptr<Store> store;
  std::unique_ptr<Transport> http;
  std::unique_ptr<ProviderSet> providers;
  std::unique_ptr<Engine> engine;
  ~WorkerKit();
};
using WorkerFactory = std::function<std::unique_ptr<WorkerKit>()>;

struct PublishOptions {
  int limit = 0;                   // 0: everything due
  std::optional<int64_t> post_id;  // only this post's deliveries
  // Deliveries of different accounts run on up to this many threads, each with a kit from
  // make_worker; one account's deliveries run one at a time, in due order.
  int concurrency = 1;
  WorkerFactory make_worker;
};

struct DeliveryOutcome {
  Delivery delivery;  // as it stands after the attempt
  std::string account;  // network:handle (not the whole Account: a run may hold 10,000 of these)
  // published | retry | paused | failed | dead | lost_lease, or for publish_due with a post_id,
  // a delivery of the post this run did not attempt: waiting (another crier has the account,
  // or its rate limit) or paused (the account needs reconnecting).
  std::string result;
  bool reconciled = false;  // found on the network after an interrupted attempt
  // Handed to the network's own scheduling: it publishes the post at delivery.published_at.
  bool native_schedule = false;
  std::optional<ErrorKind> error_kind;
  std::string error;
  std::string hint;
  // Said beside the outcome: the account's token runs out within a week and could not be
  // refreshed (token_expiry_warning).
  std::string warning;
};

struct PublishReport {
  std::vector<DeliveryOutcome> outcomes;
  // 0 all published (or nothing due), 75 nothing published and everything deferred,
  // 6 otherwise when something failed.
  int exit_code() const;
};

// A name for this worker, unique across processes and machines: host:pid:random.
std::string new_worker_id();

// Adds due occurrences of recurring schedules, then publishes what is due. With a post_id,
// every queued delivery of that post has an outcome, attempted or not.
PublishReport publish_due(Engine& engine, const PublishOptions& options);
// The same, without the outcomes of what was not attempted.
PublishReport publish_due_now(Engine& engine, const PublishOptions& options);

}  // namespace crier
