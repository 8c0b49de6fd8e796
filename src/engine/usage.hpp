// What the language model costs: each recorded call (llm_calls) priced by its model, summed by
// model, feature or day (crier usage), and the daily budget a call may not pass.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace crier {

// US dollars per million tokens.
struct ModelPrice {
  double input = 0;
  double output = 0;
  std::string source;  // config | builtin | local
};

// The price of a model: [llm.prices."MODEL"] in the config, else a well-known model's (by the
// longest name it starts with, so dated versions match), else 0 for a local backend (Ollama);
// nullopt when nothing is known.
std::optional<ModelPrice> model_price(const Config& config, std::string_view backend, std::string_view model);

struct UsageRow {
  std::string key;  // the model, the feature (draft, shorten, ...) or the day (UTC)
  int calls = 0;
  int failed = 0;
  long long input_tokens = 0;
  long long output_tokens = 0;
  double cost = 0;
  int unpriced = 0;  // calls whose model has no price: not in cost
  long long latency_ms = 0;  // summed
};

// Calls made at or after `since`, grouped `by` model, feature or day; in key order (days
// oldest first). Throws Error(usage) for another `by`.
std::vector<UsageRow> usage_report(Engine& engine, Timestamp since, std::string_view by);

// Before a model call: the day's spending (UTC) plus this prompt's (about one token per four
// bytes) against llm.daily_budget. Throws Error(temporary) saying what was spent and when the
// budget renews; Error(config) for a budget with a model that has no price.
void check_llm_budget(Engine& engine, std::string_view backend, std::string_view model, size_t prompt_bytes);

}  // namespace crier
