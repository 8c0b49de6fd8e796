#include "llm/embed.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "http/transport.hpp"

namespace crier {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

json parse_answer(const std::string& body, const std::string& what) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorKind::permanent, what + " answered something that is not JSON: " + body.substr(0, 200));
  return j;
}

// One vector from the answer's JSON array of numbers, checked and normalised.
std::vector<float> read_vector(const json& values, const std::string& what, size_t i) {
  if (!values.is_array() || values.empty())
    throw Error(ErrorKind::permanent, what + " answered no vector for text " + std::to_string(i + 1));
  std::vector<float> v;
  v.reserve(values.size());
  for (const auto& x : values) {
    if (!x.is_number())
      throw Error(ErrorKind::permanent, what + " answered a vector with something not a number in it");
    v.push_back(static_cast<float>(x.get<double>()));
  }
  if (!normalise(v))
    throw Error(ErrorKind::permanent, what + " answered a vector of zeros or of numbers that are not finite");
  return v;
}

void check_shape(const EmbedResult& r, size_t want, const std::string& what) {
  if (r.vectors.size() != want)
    throw Error(ErrorKind::permanent, what + " answered " + std::to_string(r.vectors.size()) +
                                          " vectors for " + std::to_string(want) + " texts");
  for (const auto& v : r.vectors)
    if (v.size() != r.vectors.front().size())
      throw Error(ErrorKind::permanent, what + " answered vectors of different lengths (" +
                                            std::to_string(r.vectors.front().size()) + " and " +
                                            std::to_string(v.size()) + ")");
}

class OpenAiEmbedder final : public Embedder {
 public:
  OpenAiEmbedder(Transport& http, LlmSettings s) : m_http(http), m_s(std::move(s)) {}
  std::string backend() const override { return m_s.backend; }
  std::string model() const override { return m_s.model; }
  size_t max_batch() const override { return 64; }

  EmbedResult embed(const std::vector<std::string>& texts, EmbedTask) override {
    const std::string what = m_s.backend + " embeddings";
    json body = {{"model", m_s.model}, {"input", texts}, {"encoding_format", "float"}};
    HttpRequest q{"POST",
                  trim_slash(m_s.endpoint) + "/embeddings",
                  {{"Content-Type", "application/json"}},
                  body.dump(-1, ' ', false, json::error_handler_t::replace),
                  m_s.timeout};
    if (!m_s.api_key.empty()) q.headers.emplace_back("Authorization", "Bearer " + m_s.api_key);
    auto start = steady::now();
    HttpResponse resp = m_http.send(q);
    throw_for_llm_status(resp, what, m_s);
    json j = parse_answer(resp.body, what);
    if (!j.contains("data") || !j["data"].is_array())
      throw Error(ErrorKind::permanent, what + " answered without \"data\": " + resp.body.substr(0, 200));
    EmbedResult r;
    r.model = j.contains("model") && j["model"].is_string() ? j["model"].get<std::string>() : m_s.model;
    // Each vector says which input it is ("index"); the list need not be in order.
    r.vectors.resize(texts.size());
    std::vector<bool> seen(texts.size(), false);
    const auto& data = j["data"];
    if (data.size() != texts.size())
      throw Error(ErrorKind::permanent, what + " answered " + std::to_string(data.size()) + " vectors for " +
                                            std::to_string(texts.size()) + " texts");
    for (size_t i = 0; i < data.size(); ++i) {
      // An entry without "index" is where it stands, but none may have one that is not a
      // whole number of a text given: vectors swapped between texts would be worse than none.
      size_t at = i;
      if (data[i].is_object() && data[i].contains("index")) {
        if (!data[i]["index"].is_number_unsigned())
          throw Error(ErrorKind::permanent,
                      what + " answered an \"index\" that is not a whole number: " + data[i]["index"].dump());
        at = data[i]["index"].get<size_t>();
      } else if (i > 0 && data[0].is_object() && data[0].contains("index")) {
        throw Error(ErrorKind::permanent, what + " answered some vectors with an \"index\" and some without");
      }
      if (at >= texts.size() || seen[at])
        throw Error(ErrorKind::permanent, what + " answered a vector for a text it was not given (index " +
                                              std::to_string(at) + ")");
      seen[at] = true;
      r.vectors[at] = read_vector(
          data[i].is_object() && data[i].contains("embedding") ? data[i]["embedding"] : json(), what, at);
    }
    check_shape(r, texts.size(), what);
    if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("prompt_tokens") &&
        j["usage"]["prompt_tokens"].is_number_integer())
      r.prompt_tokens = j["usage"]["prompt_tokens"].get<int>();
    r.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
    return r;
  }

 private:
  Transport& m_http;
  LlmSettings m_s;
};

class GeminiEmbedder final : public Embedder {
 public:
  GeminiEmbedder(Transport& http, LlmSettings s) : m_http(http), m_s(std::move(s)) {}
  std::string backend() const override { return "gemini"; }
  std::string model() const override { return m_s.model; }
  size_t max_batch() const override { return 100; }  // batchEmbedContents takes 100 requests

  EmbedResult embed(const std::vector<std::string>& texts, EmbedTask task) override {
    const std::string name = "models/" + m_s.model;
    const char* type = task == EmbedTask::query ? "RETRIEVAL_QUERY" : "RETRIEVAL_DOCUMENT";
    auto request = [&](const std::string& text) {
      return json{
          {"model", name}, {"content", {{"parts", json::array({{{"text", text}}})}}}, {"taskType", type}};
    };
    // One text: embedContent; more: batchEmbedContents, answered in the order asked.
    bool one = texts.size() == 1;
    const std::string what = one ? "gemini embedContent" : "gemini batchEmbedContents";
    json body;
    if (one) {
      body = request(texts[0]);
    } else {
      body = {{"requests", json::array()}};
      for (const auto& t : texts) body["requests"].push_back(request(t));
    }
    HttpRequest q{"POST",
                  trim_slash(m_s.endpoint) + "/" + name + (one ? ":embedContent" : ":batchEmbedContents"),
                  {{"Content-Type", "application/json"}},
                  body.dump(-1, ' ', false, json::error_handler_t::replace),
                  m_s.timeout};
    if (!m_s.api_key.empty()) q.headers.emplace_back("x-goog-api-key", m_s.api_key);
    auto start = steady::now();
    HttpResponse resp = m_http.send(q);
    throw_for_llm_status(resp, what, m_s);
    json j = parse_answer(resp.body, what);
    EmbedResult r;
    r.model = m_s.model;
    if (one) {
      if (!j.contains("embedding") || !j["embedding"].is_object())
        throw Error(ErrorKind::permanent,
                    what + " answered without \"embedding\": " + resp.body.substr(0, 200));
      r.vectors.push_back(
          read_vector(j["embedding"].contains("values") ? j["embedding"]["values"] : json(), what, 0));
    } else {
      if (!j.contains("embeddings") || !j["embeddings"].is_array())
        throw Error(ErrorKind::permanent,
                    what + " answered without \"embeddings\": " + resp.body.substr(0, 200));
      size_t i = 0;
      for (const auto& e : j["embeddings"]) {
        r.vectors.push_back(
            read_vector(e.is_object() && e.contains("values") ? e["values"] : json(), what, i));
        ++i;
      }
    }
    check_shape(r, texts.size(), what);
    // Gemini does not say how many tokens it read: about one a four bytes, for usage and the budget.
    size_t bytes = 0;
    for (const auto& t : texts) bytes += t.size();
    r.prompt_tokens = static_cast<int>(std::min<size_t>(bytes / 4 + 1, 1'000'000'000));
    r.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
    return r;
  }

 private:
  Transport& m_http;
  LlmSettings m_s;
};

}  // namespace

bool normalise(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) {
    if (!std::isfinite(x)) return false;
    sum += static_cast<double>(x) * x;
  }
  if (!(sum > 0) || !std::isfinite(sum)) return false;
  double len = std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x / len);
  return true;
}

std::string vector_blob(const std::vector<float>& v) {
  std::string out(v.size() * 4, '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    for (int b = 0; b < 4; ++b)
      out[i * 4 + static_cast<size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

std::vector<float> blob_vector(std::string_view blob) {
  if (blob.empty() || blob.size() % 4 != 0) return {};
  std::vector<float> v(blob.size() / 4);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b)
      bits |= static_cast<uint32_t>(static_cast<unsigned char>(blob[i * 4 + static_cast<size_t>(b)]))
              << (8 * b);
    std::memcpy(&v[i], &bits, 4);
  }
  return v;
}

std::unique_ptr<Embedder> make_embedder(Transport& http, const LlmSettings& settings) {
  LlmSettings s = settings;
  if (s.endpoint.empty()) s.endpoint = default_llm_endpoint(s.backend);
  if (s.backend == "ollama" && trim_slash(s.endpoint).size() >= 3 &&
      trim_slash(s.endpoint).substr(trim_slash(s.endpoint).size() - 3) != "/v1")
    s.endpoint = trim_slash(s.endpoint) + "/v1";
  if (s.backend == "openai" || s.backend == "ollama") return std::make_unique<OpenAiEmbedder>(http, s);
  if (s.backend == "gemini") return std::make_unique<GeminiEmbedder>(http, s);
  if (s.backend == "anthropic")
    throw Error(ErrorKind::config, "anthropic has no embedding models",
                "set llm.embedding_model to one of another backend, e.g. ollama:nomic-embed-text or "
                "openai:text-embedding-3-small");
  throw Error(ErrorKind::config, "unknown embedding backend '" + s.backend + "'",
              "use openai (also vLLM, llama.cpp, LM Studio), ollama or gemini");
}

}  // namespace crier
