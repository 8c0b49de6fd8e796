#include "engine/usage.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <map>

#include <date/date.h>

#include "config/config.hpp"
#include "error.hpp"
#include "store/store.hpp"

namespace crier {
namespace {

struct KnownPrice {
  std::string_view prefix;
  double input, output;
};
// US dollars per million tokens, as the vendors list them (standard tier, late 2026). A dated
// or suffixed name ("gpt-4o-mini-2024-07-18") takes the longest prefix that is listed.
constexpr std::array k_known{
    KnownPrice{"gpt-4o-mini", 0.15, 0.60},
    KnownPrice{"gpt-4o", 2.50, 10.00},
    KnownPrice{"gpt-4.1-nano", 0.10, 0.40},
    KnownPrice{"gpt-4.1-mini", 0.40, 1.60},
    KnownPrice{"gpt-4.1", 2.00, 8.00},
    KnownPrice{"o4-mini", 1.10, 4.40},
    KnownPrice{"o3-mini", 1.10, 4.40},
    KnownPrice{"o3", 2.00, 8.00},
    KnownPrice{"claude-3-5-haiku", 0.80, 4.00},
    KnownPrice{"claude-3-5-sonnet", 3.00, 15.00},
    KnownPrice{"claude-3-7-sonnet", 3.00, 15.00},
    KnownPrice{"claude-sonnet-4", 3.00, 15.00},
    KnownPrice{"claude-opus-4", 15.00, 75.00},
    KnownPrice{"claude-haiku-4", 1.00, 5.00},
    KnownPrice{"gemini-1.5-flash", 0.075, 0.30},
    KnownPrice{"gemini-1.5-pro", 1.25, 5.00},
    KnownPrice{"gemini-2.0-flash", 0.10, 0.40},
    KnownPrice{"gemini-2.5-flash", 0.30, 2.50},
    KnownPrice{"gemini-2.5-pro", 1.25, 10.00},
    KnownPrice{"text-embedding-3-small", 0.02, 0},
    KnownPrice{"text-embedding-3-large", 0.13, 0},
    KnownPrice{"text-embedding-ada-002", 0.10, 0},
    KnownPrice{"gemini-embedding-001", 0.15, 0},
};

double cost_of(const ModelPrice& p, long long in, long long out) {
  return (static_cast<double>(in) * p.input + static_cast<double>(out) * p.output) / 1e6;
}

std::string money(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, d >= 1 || d == 0 ? "$%.2f" : "$%.4f", d);
  return buf;
}

}  // namespace

std::optional<ModelPrice> model_price(const Config& config, std::string_view backend, std::string_view model) {
  auto in = config.model_price(model, "input");
  auto out = config.model_price(model, "output");
  if (in || out) return ModelPrice{in.value_or(0), out.value_or(0), "config"};
  if (backend == "ollama") return ModelPrice{0, 0, "local"};
  // "openai/gpt-4o-mini" on OpenRouter is gpt-4o-mini.
  std::string_view bare = model.substr(model.find('/') == std::string_view::npos ? 0 : model.find('/') + 1);
  const KnownPrice* best = nullptr;
  for (const auto& k : k_known)
    if (bare.rfind(k.prefix, 0) == 0 && (!best || k.prefix.size() > best->prefix.size())) best = &k;
  if (best) return ModelPrice{best->input, best->output, "builtin"};
  return std::nullopt;
}

std::vector<UsageRow> usage_report(Engine& engine, Timestamp since, std::string_view by) {
  if (by != "model" && by != "feature" && by != "day")
    throw Error(ErrorKind::usage, "--by takes model, feature or day, not '" + std::string(by) + "'");
  std::map<std::string, UsageRow> rows;
  for (const auto& c : engine.store.llm_calls_since(since)) {
    std::string key = by == "model"     ? c.backend + ":" + c.model
                      : by == "feature" ? c.purpose
                                        : date::format("%Y-%m-%d", date::floor<date::days>(c.created_at));
    UsageRow& r = rows[key];
    r.key = key;
    ++r.calls;
    if (c.status == "error") ++r.failed;
    long long in = c.prompt_tokens.value_or(0), out = c.completion_tokens.value_or(0);
    r.input_tokens += in;
    r.output_tokens += out;
    r.latency_ms += c.latency_ms;
    if (auto p = model_price(engine.config, c.backend, c.model)) r.cost += cost_of(*p, in, out);
    else if (in + out > 0) ++r.unpriced;
  }
  std::vector<UsageRow> out;
  for (auto& [k, r] : rows) out.push_back(std::move(r));
  return out;
}

void check_llm_budget(Engine& engine, std::string_view backend, std::string_view model, size_t prompt_bytes) {
  std::string budget_text = engine.config.get("llm.daily_budget");
  if (budget_text.empty()) return;
  double budget = std::strtod(budget_text.c_str(), nullptr);
  auto price = model_price(engine.config, backend, model);
  if (!price)
    throw Error(ErrorKind::config,
                "llm.daily_budget is set, but the model " + std::string(model) + " has no price to count it with",
                "give it one: [llm.prices.\"" + std::string(model) + "\"] input = 0.15 and output = 0.60 "
                "(US dollars per million tokens)");
  Timestamp now = engine.clock.now();
  Timestamp day = date::floor<date::days>(now);
  double spent = 0;
  for (const auto& c : engine.store.llm_calls_since(day))
    if (auto p = model_price(engine.config, c.backend, c.model))
      spent += cost_of(*p, c.prompt_tokens.value_or(0), c.completion_tokens.value_or(0));
  double next = cost_of(*price, static_cast<long long>(prompt_bytes / 4), 0);
  if (!std::isfinite(spent + next) || spent + next > budget)
    throw Error(ErrorKind::temporary,
                "the model's budget for today is spent: " + money(spent) + " of " + money(budget) +
                    " (llm.daily_budget); this call would pass it",
                "it renews at 00:00 UTC; or raise it: crier config set llm.daily_budget AMOUNT");
}

}  // namespace crier
