// Language models behind one interface: OpenAI-compatible chat completions (OpenAI,
// OpenRouter, Ollama, llama.cpp's server, vLLM, LM Studio, Gemini's compatible endpoint), the
// Anthropic messages API and Gemini generateContent. Streaming (server-sent events) when the
// caller wants the text as it comes; JSON output where the server supports asking for it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crier {

class Transport;
struct HttpResponse;

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  bool json = false;  // ask for one JSON object (response_format / responseMimeType)
  int max_tokens = 1024;
  double temperature = 0.7;
  // Streaming: called with each piece of text as it arrives (never inside a UTF-8 character).
  std::function<void(std::string_view)> on_text = nullptr;
};

struct ChatResult {
  std::string text;
  std::string model;          // as the server names it
  std::string finish_reason;  // stop, length, refusal, ... (the server's word)
  std::optional<int> prompt_tokens, completion_tokens;
  long long latency_ms = 0;
  bool refused = false;  // the model declined (a refusal, or a safety block)
};

struct LlmSettings {
  std::string backend;   // openai | ollama | anthropic | gemini
  std::string endpoint;  // base URL; "" for the backend's usual one
  std::string model;
  std::string api_key;   // may be empty for local servers; never logged
  // Where the key came from ("OPENAI_API_KEY", "llm.api_key_cmd", "" for none): a 401 names it.
  std::string key_source;
  std::chrono::seconds timeout{120};
};

class LlmBackend {
 public:
  virtual ~LlmBackend() = default;
  virtual std::string name() const = 0;
  virtual std::string model() const = 0;
  // Throws Error(auth) on 401/403, Error(rate_limited) on 429 (with Retry-After), Error(transient)
  // on 5xx, timeouts and overload, Error(permanent) on other refusals and on answers that cannot
  // be read (the server's message included).
  virtual ChatResult chat(const ChatRequest& request) = 0;
};

// Throws Error(config) for an unknown backend name, naming the known ones.
std::unique_ptr<LlmBackend> make_llm_backend(Transport& http, const LlmSettings& settings);

// throw_for_status, with a hint on a refused key that names where the key came from.
void throw_for_llm_status(const HttpResponse& response, std::string_view what, const LlmSettings& settings);

// The backend's usual endpoint ("https://api.openai.com/v1", "http://127.0.0.1:11434/v1", ...).
std::string default_llm_endpoint(std::string_view backend);

}  // namespace crier
