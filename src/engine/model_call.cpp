#include "engine/model_call.hpp"

#include <fmt/format.h>

#include <thread>

#include "engine/usage.hpp"
#include "error.hpp"
#include "hash.hpp"
#include "log.hpp"
#include "store/store.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

ChatResult call_once(Engine& engine, LlmBackend& llm, const std::string& purpose, const ChatRequest& q) {
  LlmCall rec;
  rec.backend = llm.name();
  rec.model = llm.model();
  rec.purpose = purpose;
  for (const auto& m : q.messages) rec.prompt += "[" + m.role + "]\n" + m.content + "\n";
  rec.created_at = engine.clock.now();
  check_llm_budget(engine, llm.name(), llm.model(), rec.prompt.size());  // before anything is sent
  try {
    ChatResult r = llm.chat(q);
    rec.model = r.model;
    rec.response = r.text;
    rec.prompt_tokens = r.prompt_tokens;
    rec.completion_tokens = r.completion_tokens;
    rec.latency_ms = r.latency_ms;
    rec.status = r.refused ? "refused" : "ok";
    engine.store.add_llm_call(rec);
    if (r.refused)
      throw Error(ErrorKind::invalid_input, "the model declined: " + trim_whitespace(r.text).substr(0, 300),
                  "rephrase it, or try another model (--model)");
    return r;
  } catch (const Error& e) {
    if (rec.status != "refused") {
      rec.status = "error";
      rec.error = e.what();
      engine.store.add_llm_call(rec);
    }
    throw;
  }
}

// Tries `once` again after a 429 or a transient failure (twice at most, waiting the server's
// Retry-After up to 30 s).
template <typename F>
auto with_retries(F&& once) {
  for (int attempt = 0;; ++attempt) {
    try {
      return once();
    } catch (const Error& e) {
      bool again = (e.kind() == ErrorKind::rate_limited || e.kind() == ErrorKind::transient) && attempt < 2;
      auto wait = e.retry_after().value_or(std::chrono::seconds{1 << attempt});
      if (!again || wait > std::chrono::seconds{30}) throw;
      spdlog::warn("{}; trying again in {} s", e.what(), wait.count());
      std::this_thread::sleep_for(wait);
    }
  }
}

EmbedResult embed_once(Engine& engine, Embedder& embedder, const std::string& purpose,
                       const std::vector<std::string>& texts, EmbedTask task, const std::string& what) {
  LlmCall rec;
  rec.backend = embedder.backend();
  rec.model = embedder.model();
  rec.purpose = purpose;
  rec.prompt = what;
  rec.created_at = engine.clock.now();
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  check_llm_budget(engine, embedder.backend(), embedder.model(), bytes);
  try {
    EmbedResult r = embedder.embed(texts, task);
    rec.model = r.model;
    rec.response = std::to_string(r.vectors.size()) +
                   (r.vectors.size() == 1 ? " vector of " : " vectors of ") +
                   std::to_string(r.vectors.empty() ? 0 : r.vectors.front().size()) + " numbers";
    rec.prompt_tokens = r.prompt_tokens;
    rec.completion_tokens = 0;
    rec.latency_ms = r.latency_ms;
    rec.status = "ok";
    engine.store.add_llm_call(rec);
    return r;
  } catch (const Error& e) {
    rec.status = "error";
    rec.error = e.what();
    engine.store.add_llm_call(rec);
    throw;
  }
}

}  // namespace

EmbedResult call_embedder(Engine& engine, Embedder& embedder, const std::string& purpose,
                          const std::vector<std::string>& texts, EmbedTask task, const std::string& what) {
  return with_retries([&] { return embed_once(engine, embedder, purpose, texts, task, what); });
}

ChatResult call_model(Engine& engine, LlmBackend& llm, const std::string& purpose, const ChatRequest& q) {
  return with_retries([&] { return call_once(engine, llm, purpose, q); });
}

std::optional<nlohmann::json> json_object_in(const std::string& text) {
  using nlohmann::json;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_discarded() && j.is_object()) return j;
  size_t a = text.find('{'), b = text.rfind('}');
  if (a == std::string::npos || b == std::string::npos || b < a) return std::nullopt;
  j = json::parse(text.substr(a, b - a + 1), nullptr, false);
  if (!j.is_discarded() && j.is_object()) return j;
  return std::nullopt;
}

std::string template_version(const std::string& name, const std::string& text) {
  return fmt::format("{}@{:08x}", name, static_cast<uint32_t>(fnv1a(text) & 0xffffffffu));
}

}  // namespace crier
