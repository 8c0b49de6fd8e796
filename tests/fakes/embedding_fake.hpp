// An embedding server with known vectors, on loopback: OpenAI-compatible POST /v1/embeddings
// whose vector for a text counts the words it has of each of a few topics (money, shipping,
// care, prints), so a test knows which chunk a question is nearest without a shared word.
// Every request's inputs are recorded; fail_with makes the next requests answer that status.
#pragma once

#include <array>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/loopback_server.hpp"

namespace crier::testing {

class EmbeddingFake {
 public:
  static constexpr size_t k_dims = 5;

  // The vector of a text, not normalised: topic word counts, and a little of a last dimension
  // so no text is all zeros.
  static std::array<double, k_dims> vector_of(const std::string& text) {
    static const std::vector<std::vector<std::string>> topics{
        {"refund", "money", "return", "back", "pay", "repay"},
        {"ship", "order", "deliver", "arrive", "parcel", "post"},
        {"sunlight", "care", "fram", "mount", "fade"},
        {"print", "linocut", "shop", "studio"}};
    std::array<double, k_dims> v{0, 0, 0, 0, 0.05};
    std::string word;
    auto flush = [&] {
      for (size_t t = 0; t < topics.size(); ++t)
        for (const auto& stem : topics[t])
          if (word.rfind(stem, 0) == 0) v[t] += 1;
      word.clear();
    };
    for (char c : text) {
      if (std::isalnum(static_cast<unsigned char>(c)))
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      else
        flush();
    }
    flush();
    return v;
  }

  EmbeddingFake() {
    m_server.server().Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      std::lock_guard lock(m_mutex);
      if (m_fail) {
        res.status = m_fail;
        res.set_content(R"({"error":{"message":"the embedding server is unwell"}})", "application/json");
        return;
      }
      if (body.is_discarded() || !body.contains("input") || !body["input"].is_array()) {
        res.status = 400;
        return;
      }
      // A text with "unembeddable" in it is refused, and with it the whole request.
      for (const auto& t : body["input"])
        if (t.is_string() && t.get<std::string>().find("unembeddable") != std::string::npos) {
          ++m_refused;
          res.status = 400;
          res.set_content(R"({"error":{"message":"input is not acceptable"}})", "application/json");
          return;
        }
      std::vector<std::string> inputs;
      nlohmann::json data = nlohmann::json::array();
      for (size_t i = 0; i < body["input"].size(); ++i) {
        std::string text = body["input"][i].get<std::string>();
        inputs.push_back(text);
        auto v = vector_of(text);
        // Answered in reverse, each with its index: crier must put them back in order.
        data.insert(data.begin(), nlohmann::json{{"object", "embedding"}, {"index", i}, {"embedding", v}});
      }
      m_requests.push_back(inputs);
      m_models.push_back(body.value("model", ""));
      m_auth.push_back(req.get_header_value("Authorization"));
      res.set_content(
          nlohmann::json{
              {"object", "list"},
              {"data", data},
              {"model", body.value("model", "")},
              {"usage", {{"prompt_tokens", 7 * inputs.size()}, {"total_tokens", 7 * inputs.size()}}}}
              .dump(),
          "application/json");
    });
  }

  std::string start() { return m_server.start(); }
  // The inputs of each request answered, in order.
  std::vector<std::vector<std::string>> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  std::vector<std::string> auth_headers() {
    std::lock_guard lock(m_mutex);
    return m_auth;
  }
  int refused() {
    std::lock_guard lock(m_mutex);
    return m_refused;
  }
  void fail_with(int status) {
    std::lock_guard lock(m_mutex);
    m_fail = status;
  }

 private:
  LoopbackServer m_server;
  std::mutex m_mutex;
  std::vector<std::vector<std::string>> m_requests;
  std::vector<std::string> m_models, m_auth;
  int m_fail = 0;
  int m_refused = 0;
};

}  // namespace crier::testing
