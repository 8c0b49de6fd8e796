#include "llm/llm.hpp"

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "http/transport.hpp"
#include "llm/sse.hpp"
#include "log.hpp"

namespace crier {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

json parse_answer(const std::string& body, std::string_view what) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorKind::permanent, std::string(what) + " answered something that is not JSON: " + body.substr(0, 200));
  return j;
}

std::string str_at(const json& j, const json::json_pointer& p) {
  return j.contains(p) && j[p].is_string() ? j[p].get<std::string>() : std::string();
}

std::optional<int> int_at(const json& j, const json::json_pointer& p) {
  return j.contains(p) && j[p].is_number_integer() ? std::optional<int>(j[p].get<int>()) : std::nullopt;
}

// Sends the request; with on_text, streams: each SSE event goes to `on_event`.
HttpResponse send(Transport& http, HttpRequest q, const ChatRequest& r, std::string_view what,
                  const std::function<void(const SseEvent&)>& on_event, const LlmSettings& s) {
  std::optional<SseParser> parser;
  std::string raw;  // a server that answers a stream request with one JSON body
  if (r.on_text) {
    parser.emplace(on_event);
    q.on_data = [&parser, &raw](std::string_view piece) {
      if (raw.size() < 4'000'000) raw.append(piece);
      parser->feed(piece);
      return true;
    };
  }
  HttpResponse resp = http.send(q);
  if (r.on_text && resp.body.empty()) resp.body = raw;
  throw_for_llm_status(resp, what, s);
  if (parser) parser->finish();
  return resp;
}

ChatResult finish(ChatResult out, steady::time_point start) {
  out.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
  return out;
}

class OpenAiBackend final : public LlmBackend {
 public:
  OpenAiBackend(Transport& http, LlmSettings s, std::string name) : m_http(http), m_s(std::move(s)), m_name(std::move(name)) {}
  std::string name() const override { return m_name; }
  std::string model() const override { return m_s.model; }

  ChatResult chat(const ChatRequest& r) override {
    json body = {{"model", m_s.model}, {"messages", json::array()}, {"max_tokens", r.max_tokens},
                 {"temperature", r.temperature}, {"stream", static_cast<bool>(r.on_text)}};
    for (const auto& m : r.messages) body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    if (r.json) body["response_format"] = {{"type", "json_object"}};
    if (r.on_text) body["stream_options"] = {{"include_usage", true}};
    HttpRequest q{"POST", trim_slash(m_s.endpoint) + "/chat/completions", {{"Content-Type", "application/json"}},
                  body.dump(), m_s.timeout};
    if (!m_s.api_key.empty()) q.headers.emplace_back("Authorization", "Bearer " + m_s.api_key);
    auto start = steady::now();
    ChatResult out;
    out.model = m_s.model;
    Utf8Stream stream(r.on_text ? r.on_text : [](std::string_view) {});
    std::string what = m_name + " chat completion";
    bool events = false;
    HttpResponse resp = send(
        m_http, q, r, what,
        [&](const SseEvent& e) {
          events = true;
          if (e.data == "[DONE]") return;
          json chunk = parse_answer(e.data, what);
          if (chunk.contains("error"))
            throw Error(ErrorKind::transient, what + " failed mid-stream: " + chunk["error"].dump());
          read_choice(chunk, "/choices/0/delta", out, &stream);
        },
        m_s);
    // Asked to stream, some servers answer with the whole completion at once: taken as it is.
    bool whole =
        r.on_text && !events && resp.header("Content-Type").value_or("").find("json") != std::string::npos;
    if (!r.on_text || whole)
      read_choice(parse_answer(resp.body, what), "/choices/0/message", out, whole ? &stream : nullptr);
    stream.flush();
    return finish(out, start);
  }

 private:
  static void read_choice(const json& j, const std::string& at, ChatResult& out, Utf8Stream* stream) {
    json::json_pointer p(at);
    std::string piece = str_at(j, p / "content");
    out.text += piece;
    if (stream && !piece.empty()) stream->write(piece);
    std::string refusal = str_at(j, p / "refusal");
    if (!refusal.empty()) {
      out.refused = true;
      out.text += refusal;
    }
    std::string fin = str_at(j, json::json_pointer("/choices/0/finish_reason"));
    if (!fin.empty()) out.finish_reason = fin;
    if (fin == "content_filter") out.refused = true;
    if (auto m = str_at(j, json::json_pointer("/model")); !m.empty()) out.model = m;
    if (auto n = int_at(j, json::json_pointer("/usage/prompt_tokens"))) out.prompt_tokens = n;
    if (auto n = int_at(j, json::json_pointer("/usage/completion_tokens"))) out.completion_tokens = n;
  }

  Transport& m_http;
  LlmSettings m_s;
  std::string m_name;
};

class AnthropicBackend final : public LlmBackend {
 public:
  AnthropicBackend(Transport& http, LlmSettings s) : m_http(http), m_s(std::move(s)) {}
  std::string name() const override { return "anthropic"; }
  std::string model() const override { return m_s.model; }

  ChatResult chat(const ChatRequest& r) override {
    json body = {{"model", m_s.model}, {"max_tokens", r.max_tokens}, {"temperature", r.temperature},
                 {"messages", json::array()}};
    std::string system;
    for (const auto& m : r.messages) {
      if (m.role == "system") system += (system.empty() ? "" : "\n\n") + m.content;
      else body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    // The messages API has no JSON mode: the prompt asks for JSON, and so does the system text.
    if (r.json) system += (system.empty() ? "" : "\n\n") + std::string("Answer with one JSON object only.");
    if (!system.empty()) body["system"] = system;
    if (r.on_text) body["stream"] = true;
    HttpRequest q{"POST", trim_slash(m_s.endpoint) + "/v1/messages",
                  {{"Content-Type", "application/json"}, {"anthropic-version", "2023-06-01"}}, body.dump(), m_s.timeout};
    if (!m_s.api_key.empty()) q.headers.emplace_back("x-api-key", m_s.api_key);
    auto start = steady::now();
    ChatResult out;
    out.model = m_s.model;
    Utf8Stream stream(r.on_text ? r.on_text : [](std::string_view) {});
    const std::string what = "anthropic messages";
    HttpResponse resp = send(m_http, q, r, what, [&](const SseEvent& e) {
      json ev = parse_answer(e.data, what);
      std::string type = ev.value("type", e.event);
      if (type == "error") {
        std::string kind = str_at(ev, json::json_pointer("/error/type"));
        std::string msg = what + " failed mid-stream: " + str_at(ev, json::json_pointer("/error/message"));
        throw Error(kind == "overloaded_error" || kind == "api_error" ? ErrorKind::transient
                    : kind == "rate_limit_error"                     ? ErrorKind::rate_limited
                                                                     : ErrorKind::permanent,
                    msg);
      }
      if (type == "message_start") read_message(ev["message"], out);
      if (type == "content_block_delta" && str_at(ev, json::json_pointer("/delta/type")) == "text_delta") {
        std::string piece = str_at(ev, json::json_pointer("/delta/text"));
        out.text += piece;
        stream.write(piece);
      }
      if (type == "message_delta") {
        if (auto sr = str_at(ev, json::json_pointer("/delta/stop_reason")); !sr.empty()) set_stop(out, sr);
        if (auto n = int_at(ev, json::json_pointer("/usage/output_tokens"))) out.completion_tokens = n;
      }
    }, m_s);
    stream.flush();
    if (!r.on_text) {
      json j = parse_answer(resp.body, what);
      read_message(j, out);
      if (j.contains("content") && j["content"].is_array())
        for (const auto& block : j["content"])
          if (block.value("type", "") == "text") out.text += block.value("text", "");
    }
    return finish(out, start);
  }

 private:
  static void set_stop(ChatResult& out, const std::string& reason) {
    out.finish_reason = reason;
    if (reason == "refusal") out.refused = true;
  }
  static void read_message(const json& m, ChatResult& out) {
    if (auto s = str_at(m, json::json_pointer("/model")); !s.empty()) out.model = s;
    if (auto s = str_at(m, json::json_pointer("/stop_reason")); !s.empty()) set_stop(out, s);
    if (auto n = int_at(m, json::json_pointer("/usage/input_tokens"))) out.prompt_tokens = n;
    if (auto n = int_at(m, json::json_pointer("/usage/output_tokens"))) out.completion_tokens = n;
  }

  Transport& m_http;
  LlmSettings m_s;
};

class GeminiBackend final : public LlmBackend {
 public:
  GeminiBackend(Transport& http, LlmSettings s) : m_http(http), m_s(std::move(s)) {}
  std::string name() const override { return "gemini"; }
  std::string model() const override { return m_s.model; }

  ChatResult chat(const ChatRequest& r) override {
    json body = {{"contents", json::array()},
                 {"generationConfig", {{"maxOutputTokens", r.max_tokens}, {"temperature", r.temperature}}}};
    std::string system;
    for (const auto& m : r.messages) {
      if (m.role == "system") system += (system.empty() ? "" : "\n\n") + m.content;
      else
        body["contents"].push_back(
            {{"role", m.role == "assistant" ? "model" : "user"}, {"parts", json::array({{{"text", m.content}}})}});
    }
    if (!system.empty()) body["systemInstruction"] = {{"parts", json::array({{{"text", system}}})}};
    if (r.json) body["generationConfig"]["responseMimeType"] = "application/json";
    std::string url = trim_slash(m_s.endpoint) + "/models/" + m_s.model +
                      (r.on_text ? ":streamGenerateContent?alt=sse" : ":generateContent");
    HttpRequest q{"POST", url, {{"Content-Type", "application/json"}}, body.dump(), m_s.timeout};
    if (!m_s.api_key.empty()) q.headers.emplace_back("x-goog-api-key", m_s.api_key);
    auto start = steady::now();
    ChatResult out;
    out.model = m_s.model;
    Utf8Stream stream(r.on_text ? r.on_text : [](std::string_view) {});
    const std::string what = "gemini generateContent";
    HttpResponse resp = send(m_http, q, r, what, [&](const SseEvent& e) {
      read_chunk(parse_answer(e.data, what), out, &stream);
    }, m_s);
    stream.flush();
    if (!r.on_text) read_chunk(parse_answer(resp.body, what), out, nullptr);
    return finish(out, start);
  }

 private:
  static void read_chunk(const json& j, ChatResult& out, Utf8Stream* stream) {
    if (j.contains("error")) throw Error(ErrorKind::transient, "gemini failed mid-stream: " + j["error"].dump());
    if (auto block = str_at(j, json::json_pointer("/promptFeedback/blockReason")); !block.empty()) {
      out.refused = true;
      out.finish_reason = block;
    }
    json::json_pointer parts("/candidates/0/content/parts");
    if (j.contains(parts) && j[parts].is_array())
      for (const auto& p : j[parts]) {
        std::string piece = p.value("text", "");
        out.text += piece;
        if (stream && !piece.empty()) stream->write(piece);
      }
    if (auto fin = str_at(j, json::json_pointer("/candidates/0/finishReason")); !fin.empty()) {
      out.finish_reason = fin;
      if (fin == "SAFETY" || fin == "RECITATION" || fin == "PROHIBITED_CONTENT" || fin == "BLOCKLIST") out.refused = true;
    }
    if (auto m = str_at(j, json::json_pointer("/modelVersion")); !m.empty()) out.model = m;
    if (auto n = int_at(j, json::json_pointer("/usageMetadata/promptTokenCount"))) out.prompt_tokens = n;
    if (auto n = int_at(j, json::json_pointer("/usageMetadata/candidatesTokenCount"))) out.completion_tokens = n;
  }

  Transport& m_http;
  LlmSettings m_s;
};

}  // namespace

void throw_for_llm_status(const HttpResponse& resp, std::string_view what, const LlmSettings& s) {
  try {
    throw_for_status(resp, what,
                     Timestamp{std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())});
  } catch (Error& e) {
    // A model's key is not an account: say which key was refused and where it came from.
    if (e.kind() == ErrorKind::auth)
      e.with_hint(
          s.key_source.empty()
              ? "the server wants an API key: export the backend's key variable (e.g. OPENAI_API_KEY) or "
                "set llm.api_key_cmd"
              : "the key from " + s.key_source + " was refused: check it, or set another (llm.api_key_cmd)");
    throw;
  }
}

std::string default_llm_endpoint(std::string_view backend) {
  if (backend == "openai") return "https://api.openai.com/v1";
  if (backend == "ollama") return "http://127.0.0.1:11434/v1";
  if (backend == "anthropic") return "https://api.anthropic.com";
  if (backend == "gemini") return "https://generativelanguage.googleapis.com/v1beta";
  return "";
}

std::unique_ptr<LlmBackend> make_llm_backend(Transport& http, const LlmSettings& settings) {
  LlmSettings s = settings;
  if (s.endpoint.empty()) s.endpoint = default_llm_endpoint(s.backend);
  // Ollama's OpenAI-compatible API lives under /v1 of its port.
  if (s.backend == "ollama" && trim_slash(s.endpoint).size() >= 3 &&
      trim_slash(s.endpoint).substr(trim_slash(s.endpoint).size() - 3) != "/v1")
    s.endpoint = trim_slash(s.endpoint) + "/v1";
  if (s.backend == "openai" || s.backend == "ollama") return std::make_unique<OpenAiBackend>(http, s, s.backend);
  if (s.backend == "anthropic") return std::make_unique<AnthropicBackend>(http, s);
  if (s.backend == "gemini") return std::make_unique<GeminiBackend>(http, s);
  throw Error(ErrorKind::config, "unknown LLM backend '" + s.backend + "'",
              "use openai (also OpenRouter, llama.cpp, vLLM, LM Studio), ollama, anthropic or gemini");
}

}  // namespace crier
