#include "llm_setup.hpp"

#include <cstdlib>

#include "context.hpp"
#include "error.hpp"
#include "process.hpp"
#include "redact.hpp"

namespace crier {
namespace {

const char* k_default_ollama = "http://127.0.0.1:11434";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

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
  if (auto cmd = ctx.config().get("llm.api_key_cmd"); !cmd.empty()) {
    s.api_key = secret_from_command("llm.api_key_cmd", cmd,
                                    std::chrono::seconds{ctx.config().get_int("general.command_timeout_seconds")});
    s.key_source = "llm.api_key_cmd";
  } else {
    const char* var = !env("CRIER_LLM_API_KEY").empty()                        ? "CRIER_LLM_API_KEY"
                      : s.endpoint.find("openrouter.ai") != std::string::npos ? "OPENROUTER_API_KEY"
                      : s.backend == "openai" && s.endpoint.find("googleapis.com") != std::string::npos
                          ? "GEMINI_API_KEY"
                      : s.backend == "openai"    ? "OPENAI_API_KEY"
                      : s.backend == "anthropic" ? "ANTHROPIC_API_KEY"
                      : s.backend == "gemini"    ? (env("GEMINI_API_KEY").empty() ? "GOOGLE_API_KEY" : "GEMINI_API_KEY")
                                                 : "";
    if (*var) s.api_key = env(var);
    if (!s.api_key.empty()) s.key_source = var;
  }
  remember_secret(s.api_key);
  bool hosted = s.endpoint.rfind("https://", 0) == 0;
  if (hosted && s.api_key.empty())
    throw Error(ErrorKind::config, "no API key for " + s.backend + " at " + s.endpoint,
                "export the provider's key (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY) "
                "or set llm.api_key_cmd (e.g. pass show openai)");
  s.timeout = std::chrono::seconds{ctx.config().get_int("http.timeout_seconds") * 4};
  return s;
}

}  // namespace crier
