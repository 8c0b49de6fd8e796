#include "llm_setup.hpp"

#include <cstdlib>

#include "context.hpp"
#include "error.hpp"
#include "log.hpp"
#include "process.hpp"
#include "redact.hpp"

namespace crier {
namespace {

const char* k_default_ollama = "http://127.0.0.1:11434";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The key for `s`: the command of `cmd_setting` when set (none when ""), else the provider's
// usual variable (and CRIER_LLM_API_KEY when `generic`).
void fill_key(Context& ctx, LlmSettings& s, const char* cmd_setting, bool generic);

}  // namespace

bool llm_configured(Context& ctx, const std::string& model_flag) {
  // The shipped config names Ollama on its default port: that alone is not a choice.
  return !model_flag.empty() || ctx.config().source("llm.model") != "default" ||
         ctx.config().get("llm.backend") != "ollama" || ctx.config().get("llm.endpoint") != k_default_ollama;
}

LlmSettings llm_settings(Context& ctx, const std::string& model_flag) {
  LlmSettings s;
  s.backend = ctx.config().get("llm.backend");
  s.model = ctx.config().get("llm.model");
  s.endpoint = ctx.config().get("llm.endpoint");
  if (!model_flag.empty()) {
    auto colon = model_flag.find(':');
    if (colon == std::string::npos)
      throw Error(ErrorKind::usage, "--model takes PROVIDER:MODEL, e.g. openai:gpt-4o-mini or ollama:llama3.2");
    std::string provider = model_flag.substr(0, colon);
    s.model = model_flag.substr(colon + 1);
    if (provider == "openrouter") {
      s.backend = "openai";
      s.endpoint = "https://openrouter.ai/api/v1";
    } else {
      if (provider != s.backend) s.endpoint = "";  // the configured endpoint is the other backend's
      s.backend = provider;
    }
  }
  // The configured endpoint defaults to Ollama's; another backend wants its own.
  if (s.backend != "ollama" && s.endpoint == k_default_ollama) s.endpoint = "";
  if (s.endpoint.empty()) s.endpoint = default_llm_endpoint(s.backend);
  if (s.model.empty()) {
    if (s.backend != "ollama")
      throw Error(ErrorKind::config, "no model set for " + s.backend,
                  "crier config set llm.model NAME, or --model " + s.backend + ":NAME");
    s.model = "llama3.2";
  }
  s.timeout = std::chrono::seconds{ctx.config().get_int("http.timeout_seconds") * 4};
  fill_key(ctx, s, "llm.api_key_cmd", true);
  return s;
}

std::optional<LlmSettings> embedding_settings(Context& ctx, bool with_key) {
  std::string name = ctx.config().get("llm.embedding_model");
  if (name.empty()) return std::nullopt;
  LlmSettings s;
  std::string chat_backend = ctx.config().get("llm.backend");
  // PROVIDER:MODEL only for a provider crier knows: "nomic-embed-text:latest" is an Ollama tag.
  auto colon = name.find(':');
  std::string provider = colon == std::string::npos ? "" : name.substr(0, colon);
  bool named =
      provider == "openai" || provider == "ollama" || provider == "gemini" || provider == "anthropic";
  s.backend = named ? provider : chat_backend;
  s.model = named ? name.substr(colon + 1) : name;
  if (s.model.empty())
    throw Error(ErrorKind::config, "llm.embedding_model names no model",
                "give MODEL or PROVIDER:MODEL, e.g. ollama:nomic-embed-text");
  s.endpoint = ctx.config().get("llm.embedding_endpoint");
  if (s.endpoint.empty() && s.backend == chat_backend) s.endpoint = ctx.config().get("llm.endpoint");
  if (s.backend != "ollama" && s.endpoint == k_default_ollama) s.endpoint = "";
  if (s.endpoint.empty()) s.endpoint = default_llm_endpoint(s.backend);
  // The chat model's key (llm.api_key_cmd, CRIER_LLM_API_KEY) goes only to the chat model's own
  // server: another provider, or another machine, gets its own key or none.
  std::string chat_endpoint = ctx.config().get("llm.endpoint");
  if (chat_backend != "ollama" && chat_endpoint == k_default_ollama) chat_endpoint = "";
  if (chat_endpoint.empty()) chat_endpoint = default_llm_endpoint(chat_backend);
  bool same_server = s.backend == chat_backend && s.endpoint == chat_endpoint;
  if (with_key) {
    if (!ctx.config().get("llm.embedding_api_key_cmd").empty())
      fill_key(ctx, s, "llm.embedding_api_key_cmd", false);
    else
      fill_key(ctx, s, same_server ? "llm.api_key_cmd" : "", same_server);
  }
  s.timeout = std::chrono::seconds{ctx.config().get_int("http.timeout_seconds") * 4};
  return s;
}

std::unique_ptr<Embedder> configured_embedder(Context& ctx) {
  auto s = embedding_settings(ctx);
  return s ? make_embedder(ctx.http(), *s) : nullptr;
}

std::string embedding_key(Context& ctx) {
  try {
    auto s = embedding_settings(ctx, false);
    return s ? s->backend + ":" + s->model : "";
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config) throw;
    return "";  // said by whatever tries to use it
  }
}

std::unique_ptr<Embedder> embedder_or_words(Context& ctx) {
  try {
    return configured_embedder(ctx);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config) throw;
    spdlog::warn("{}; the knowledge base is searched by words alone", e.what());
    return nullptr;
  }
}

double embedding_min_similarity(Context& ctx) {
  return static_cast<double>(ctx.config().get_int("llm.embedding_min_similarity_percent")) / 100.0;
}

namespace {
void fill_key(Context& ctx, LlmSettings& s, const char* cmd_setting, bool generic) {
  if (auto cmd = *cmd_setting ? ctx.config().get(cmd_setting) : std::string(); !cmd.empty()) {
    s.api_key = secret_from_command(
        cmd_setting, cmd, std::chrono::seconds{ctx.config().get_int("general.command_timeout_seconds")});
    s.key_source = cmd_setting;
  } else {
    const char* var =
        generic && !env("CRIER_LLM_API_KEY").empty()            ? "CRIER_LLM_API_KEY"
        : s.endpoint.find("openrouter.ai") != std::string::npos ? "OPENROUTER_API_KEY"
        : s.backend == "openai" && s.endpoint.find("googleapis.com") != std::string::npos ? "GEMINI_API_KEY"
        : s.backend == "openai"                                                           ? "OPENAI_API_KEY"
        : s.backend == "anthropic" ? "ANTHROPIC_API_KEY"
        : s.backend == "gemini"    ? (env("GEMINI_API_KEY").empty() ? "GOOGLE_API_KEY" : "GEMINI_API_KEY")
                                   : "";
    if (*var) s.api_key = env(var);
    if (!s.api_key.empty()) s.key_source = var;
  }
  remember_secret(s.api_key);
  bool hosted = s.endpoint.rfind("https://", 0) == 0;
  if (hosted && s.api_key.empty())
    throw Error(
        ErrorKind::config, "no API key for " + s.backend + " at " + s.endpoint,
        "export the provider's key (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY) "
        "or set llm.api_key_cmd (e.g. pass show openai)");
}
}  // namespace

}  // namespace crier
