// Analytics: snapshots of each published post's counts and each account's followers, taken by
// `analytics refresh`, summarised from the store by `analytics summary`.
#pragma once

#include <functional>

#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "store/types.hpp"

namespace crier {

struct RefreshResult {
  int posts = 0;     // posts whose counts were taken
  int accounts = 0;  // accounts whose followers were taken
  std::vector<std::string> errors;  // one line per account that failed
};
// Takes snapshots for deliveries published since `since` (in batches of 25 per call).
// progress (optional): told before each batch, "account: done/total posts".
RefreshResult refresh_metrics(Engine& engine, Timestamp since,
                              const std::function<void(const std::string&)>& progress = nullptr);

struct AccountSummary {
  Account account;
  int posts = 0;
  int64_t likes = 0, reposts = 0, replies = 0, quotes = 0;
  std::optional<int64_t> views;
  std::optional<int64_t> followers;         // latest snapshot
  std::optional<int64_t> followers_change;  // latest minus the first in the window
  std::optional<int64_t> score;             // the network's score of the account (Reddit's karma)
};
std::vector<AccountSummary> summarize(Engine& engine, Timestamp since);

}  // namespace crier
