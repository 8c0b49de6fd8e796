// Embedding models, for the knowledge base's search by meaning: OpenAI-compatible
// /v1/embeddings (OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio) and Gemini's
// embedContent / batchEmbedContents. A vector comes back normalised to length 1, so that the
// similarity of two is their dot product.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llm/llm.hpp"

namespace crier {

class Transport;

enum class EmbedTask { document, query };

struct EmbedResult {
  std::vector<std::vector<float>> vectors;  // one per text, in order
  std::optional<int> prompt_tokens;
  std::string model;  // as the server names it
  long long latency_ms = 0;
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string backend() const = 0;
  virtual std::string model() const = 0;
  // "openai:text-embedding-3-small": what stored vectors are kept under (another model's
  // vectors are not comparable, so they are not mixed).
  std::string key() const { return backend() + ":" + model(); }
  // Texts in one request at most.
  virtual size_t max_batch() const = 0;
  // Throws as LlmBackend::chat does (auth, rate_limited, transient, permanent), and
  // Error(permanent) for an answer with the wrong number of vectors, vectors of different
  // lengths, or numbers that are not finite.
  virtual EmbedResult embed(const std::vector<std::string>& texts, EmbedTask task) = 0;
};

// Throws Error(config) for a backend with no embeddings (anthropic) or an unknown one.
std::unique_ptr<Embedder> make_embedder(Transport& http, const LlmSettings& settings);

// Scales `v` to length 1; false when it has no length (all zeros) or a number is not finite.
bool normalise(std::vector<float>& v);

// Little-endian float32s, as the store keeps them, and back (empty for a blob of a bad size).
std::string vector_blob(const std::vector<float>& v);
std::vector<float> blob_vector(std::string_view blob);

}  // namespace crier
