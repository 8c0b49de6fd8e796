// Which language model a command talks to: --model PROVIDER:MODEL, else [llm] in the config;
// the API key from the provider's usual environment variable or llm.api_key_cmd (never stored
// by crier, never logged).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "error.hpp"
#include "llm/embed.hpp"
#include "llm/llm.hpp"

namespace crier {

// Throws Error(config) when the backend is unknown or a hosted backend has no model or key.
LlmSettings llm_settings(Context& ctx, const std::string& model_flag);

bool llm_configured(Context& ctx, const std::string& model_flag);

// The embedding model of llm.embedding_model (MODEL of llm.backend, or PROVIDER:MODEL), with
// its endpoint and key (llm.embedding_api_key_cmd, else the provider's variable; the chat
// model's llm.api_key_cmd only when it is the same server); nullopt when none is configured. Throws
// Error(config) as llm_settings. `with_key` false: without running llm.api_key_cmd (for what only names the
// model).
std::optional<LlmSettings> embedding_settings(Context& ctx, bool with_key = true);
// The configured embedding model, or nullptr when there is none.
std::unique_ptr<Embedder> configured_embedder(Context& ctx);
// The configured embedding model; nullptr when there is none, or (said on stderr) when its
// settings are wrong: search falls back to words.
std::unique_ptr<Embedder> embedder_or_words(Context& ctx);
// "backend:model" of the configured embedding model (its stored vectors' key), or "" (also
// when its settings are wrong).
std::string embedding_key(Context& ctx);
// llm.embedding_min_similarity_percent as a fraction.
double embedding_min_similarity(Context& ctx);

// Runs `body` against the model; when nothing is configured and no local Ollama answers, says in
// one line how to configure a model (exit 3) instead of a bare connection error.
template <typename F>
auto with_llm(const LlmSettings& settings, bool configured, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    if (configured || e.kind() != ErrorKind::network) throw;
    throw Error(ErrorKind::config,
                "no language model configured, and no local Ollama answers at " + settings.endpoint,
                "start Ollama (ollama serve), or configure one: crier config set llm.backend openai && crier config "
                "set llm.model gpt-4o-mini (key in OPENAI_API_KEY); or --model anthropic:MODEL, gemini:MODEL");
  }
}

// Runs `body` with the model of --model or the config, as with_llm does.
template <typename F>
auto with_model(Context& ctx, const std::string& model_flag, F&& body) {
  bool configured = llm_configured(ctx, model_flag);
  LlmSettings settings = llm_settings(ctx, model_flag);
  std::unique_ptr<LlmBackend> llm = make_llm_backend(ctx.http(), settings);
  return with_llm(settings, configured, [&] { return body(*llm); });
}

}  // namespace crier
