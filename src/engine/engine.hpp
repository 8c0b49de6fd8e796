// The engine is where policy lives: which accounts a post goes to, what is due, leases,
// retries, reconcile, polling and metrics. It uses the store and the providers; commands use it.
#pragma once

#include <filesystem>

#include "clock.hpp"

namespace crier {

class Store;
class ProviderSet;
class Config;

struct Engine {
  Store& store;
  ProviderSet& providers;
  const Clock& clock;
  const Config& config;
  std::filesystem::path data_dir;
};

}  // namespace crier
