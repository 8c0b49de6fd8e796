// Embedding models and vectors: what crier sends to an OpenAI-compatible /embeddings and to
// Gemini's embedContent / batchEmbedContents, how it reads (and refuses) their answers, the
// float32 blobs, and the store's nearest-vector search and its cache by chunk text.
#include "llm/embed.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "store/store.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

TEST_CASE("embeddings, openai-compatible: the request, vectors put back in input order, usage",
          "[llm][embed]") {
  FakeTransport http;
  auto e = make_embedder(
      http, LlmSettings{"openai", "https://api.openai.example/v1/", "text-embedding-3-small", "sk-e"});
  CHECK(e->key() == "openai:text-embedding-3-small");
  json answer = {{"object", "list"},
                 {"data",
                  {{{"object", "embedding"}, {"index", 1}, {"embedding", {0.0, 3.0, 4.0}}},
                   {{"object", "embedding"}, {"index", 0}, {"embedding", {2.0, 0.0, 0.0}}}}},
                 {"model", "text-embedding-3-small"},
                 {"usage", {{"prompt_tokens", 9}, {"total_tokens", 9}}}};
  http.expect(
      "POST", "https://api.openai.example/v1/embeddings",
      [](const HttpRequest& q) {
        json b = json::parse(q.body);
        CHECK(b["model"] == "text-embedding-3-small");
        CHECK(b["input"] == json{"refunds take 30 days", "we ship on Tuesdays"});
        CHECK(b["encoding_format"] == "float");
        CHECK(HttpResponse{0, q.headers, ""}.header("Authorization") == "Bearer sk-e");
      },
      json_response(200, answer.dump()));
  EmbedResult r = e->embed({"refunds take 30 days", "we ship on Tuesdays"}, EmbedTask::document);
  REQUIRE(r.vectors.size() == 2);
  CHECK(r.vectors[0] == std::vector<float>{1.0f, 0.0f, 0.0f});  // normalised
  CHECK(r.vectors[1][1] == Approx(0.6));
  CHECK(r.vectors[1][2] == Approx(0.8));
  CHECK(r.prompt_tokens == 9);

  // Ollama's OpenAI-compatible API is under /v1 of its port, and wants no key.
  auto o = make_embedder(http, LlmSettings{"ollama", "http://127.0.0.1:11434", "nomic-embed-text", ""});
  http.expect(
      "POST", "http://127.0.0.1:11434/v1/embeddings",
      [](const HttpRequest& q) {
        CHECK_FALSE(HttpResponse{0, q.headers, ""}.header("Authorization"));
      },
      json_response(200, R"({"data":[{"index":0,"embedding":[1,1]}]})"));
  CHECK(o->embed({"q"}, EmbedTask::query).vectors.at(0)[0] == Approx(std::sqrt(0.5)));
}

TEST_CASE("embeddings: an answer that does not fit what was asked is refused, not stored",
          "[llm][embed][errors]") {
  FakeTransport http;
  auto e = make_embedder(http, LlmSettings{"openai", "http://127.0.0.1:9/v1", "m", ""});
  auto refused = [&](std::string body, int status = 200) {
    http.expect("POST", "http://127.0.0.1:9/v1/embeddings", json_response(status, std::move(body)));
    try {
      e->embed({"a", "b"}, EmbedTask::document);
    } catch (const Error& err) {
      return std::make_pair(err.kind(), std::string(err.what()));
    }
    return std::make_pair(ErrorKind::internal, std::string("accepted"));
  };
  auto one = refused(R"({"data":[{"index":0,"embedding":[1,0]}]})");
  CHECK(one.first == ErrorKind::permanent);
  CHECK_THAT(one.second, Catch::Contains("1 vectors for 2 texts"));
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[1,0,0]}]})").second,
             Catch::Contains("different lengths"));
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":[0,0]},{"index":1,"embedding":[1,0]}]})").second,
             Catch::Contains("zeros"));
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":[1,0]},{"index":0,"embedding":[1,0]}]})").second,
             Catch::Contains("not given"));
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":["x",0]},{"index":1,"embedding":[1,0]}]})").second,
             Catch::Contains("not a number"));
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":[1e400,0]},{"index":1,"embedding":[1,0]}]})").second,
             Catch::Contains("not JSON"));  // out of range: no number at all
  CHECK_THAT(refused(R"({"data":[{"index":0,"embedding":1},{"index":1,"embedding":[1,0]}]})").second,
             Catch::Contains("no vector for text 1"));
  CHECK_THAT(refused(R"({"error":"no such model"})").second, Catch::Contains("without \"data\""));
  // An index that is not a whole number would put vectors on the wrong texts: refused.
  CHECK_THAT(refused(R"({"data":[{"index":1.0,"embedding":[1,0]},{"index":0.0,"embedding":[0,1]}]})").second,
             Catch::Contains("not a whole number"));
  CHECK_THAT(refused(R"({"data":[{"index":1,"embedding":[1,0]},{"embedding":[0,1]}]})").second,
             Catch::Contains("some without"));
  CHECK(refused("{}", 401).first == ErrorKind::auth);
  CHECK(refused("{}", 429).first == ErrorKind::rate_limited);
  CHECK(refused("{}", 503).first == ErrorKind::transient);
  CHECK_THROWS_WITH(make_embedder(http, LlmSettings{"anthropic", "", "claude", "k"}),
                    Catch::Contains("no embedding models"));
}

TEST_CASE("embeddings, gemini: embedContent for one text, batchEmbedContents for more, task types",
          "[llm][embed][gemini]") {
  FakeTransport http;
  auto e = make_embedder(http, LlmSettings{"gemini", "", "gemini-embedding-001", "gk-e"});
  CHECK(e->max_batch() == 100);
  // Gemini gives no token count: about one a four bytes, so usage and the budget count it.
  http.expect(
      "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent",
      [](const HttpRequest& q) {
        json b = json::parse(q.body);
        CHECK(b["model"] == "models/gemini-embedding-001");
        CHECK(b["content"]["parts"][0]["text"] == "how long do refunds take");
        CHECK(b["taskType"] == "RETRIEVAL_QUERY");
        CHECK(HttpResponse{0, q.headers, ""}.header("x-goog-api-key") == "gk-e");
      },
      json_response(200, R"({"embedding":{"values":[0.5,0.5,0.5,0.5]}})"));
  auto one = e->embed({"how long do refunds take"}, EmbedTask::query);
  REQUIRE(one.vectors.size() == 1);
  CHECK(one.prompt_tokens == 7);
  CHECK(one.vectors[0][3] == Approx(0.5));
  http.expect(
      "POST",
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
      [](const HttpRequest& q) {
        json b = json::parse(q.body);
        REQUIRE(b["requests"].size() == 2);
        CHECK(b["requests"][1]["model"] == "models/gemini-embedding-001");
        CHECK(b["requests"][1]["content"]["parts"][0]["text"] == "two");
        CHECK(b["requests"][0]["taskType"] == "RETRIEVAL_DOCUMENT");
      },
      json_response(200, R"({"embeddings":[{"values":[1,0]},{"values":[0,2]}]})"));
  auto two = e->embed({"one", "two"}, EmbedTask::document);
  REQUIRE(two.vectors.size() == 2);
  CHECK(two.vectors[1] == std::vector<float>{0.0f, 1.0f});
  http.expect(
      "POST",
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
      json_response(200, R"({"embeddings":[{"values":[1,0]}]})"));
  CHECK_THROWS_WITH(e->embed({"one", "two"}, EmbedTask::document), Catch::Contains("1 vectors for 2 texts"));
}

TEST_CASE("vectors: float32 blobs round-trip, and a blob of a bad size is no vector", "[embed]") {
  std::vector<float> v{0.25f, -1.5f, 3.0e-8f, 1234.5f};
  std::string b = vector_blob(v);
  CHECK(b.size() == 16);
  CHECK(static_cast<unsigned char>(b[0]) == 0x00);  // 0.25f is 0x3E800000, little-endian
  CHECK(static_cast<unsigned char>(b[3]) == 0x3E);
  CHECK(blob_vector(b) == v);
  CHECK(blob_vector(b.substr(0, 5)).empty());
  std::vector<float> zero{0, 0};
  CHECK_FALSE(normalise(zero));
  std::vector<float> inf{1, INFINITY};
  CHECK_FALSE(normalise(inf));
}

TEST_CASE("the store: vectors cached by chunk text and model, nearest first, pruned with their chunks",
          "[embed][store]") {
  TempDir dir;
  auto s = open_sqlite_store(dir.path() / "crier.db");
  KbSource a;
  a.location = "/notes/a.md";
  a.kind = "markdown";
  a.content_hash = "h1";
  std::vector<KbChunk> chunks{
      {0, 0, 0, "", 0, 10, "Refunds take thirty days.", "hr"},
      {0, 0, 1, "", 11, 20, "We ship on Tuesdays.", "hs"},
      {0, 0, 2, "", 21, 30, "Refunds take thirty days.", "hr"}};  // the same text twice
  s->put_kb_source(a, chunks);
  auto todo = s->kb_texts_to_embed("m:1");
  REQUIRE(todo.size() == 2);  // one per text
  CHECK(todo[0].first == "hr");
  std::vector<float> refund{1, 0, 0}, ship{0, 1, 0};
  s->put_kb_embeddings("m:1", {{"hr", vector_blob(refund)}, {"hs", vector_blob(ship)}}, Timestamp{});
  CHECK(s->kb_texts_to_embed("m:1").empty());
  CHECK(s->kb_texts_to_embed("m:2").size() == 2);  // another model's vectors are its own
  CHECK(s->kb_embedded_count("m:1") == std::make_pair<int64_t, int64_t>(3, 3));

  std::vector<float> q{0.8f, 0.6f, 0};
  auto near = s->kb_nearest("m:1", q, 2);
  REQUIRE(near.size() == 2);
  CHECK(near[0].second == Approx(0.8));
  CHECK((near[0].first == chunks[0].id || near[0].first == chunks[2].id));
  CHECK(s->kb_nearest("m:1", q, 10).size() == 3);
  CHECK(s->kb_nearest("m:1", std::vector<float>{1, 0}, 10).empty());  // another length: not compared
  CHECK(s->kb_nearest("m:2", q, 10).empty());
  auto hit = s->kb_hit(chunks[1].id);
  REQUIRE(hit);
  CHECK(hit->location == "/notes/a.md");
  CHECK(hit->chunk.text == "We ship on Tuesdays.");

  // Re-indexed: the text kept keeps its vector, the one gone loses it.
  std::vector<KbChunk> again{{0, 0, 0, "", 0, 10, "Refunds take thirty days.", "hr"},
                             {0, 0, 1, "", 11, 20, "We ship on Fridays.", "hf"}};
  a.content_hash = "h2";
  s->put_kb_source(a, again);
  CHECK(s->prune_kb_embeddings() == 1);  // "hs" is in no chunk now
  auto left = s->kb_texts_to_embed("m:1");
  REQUIRE(left.size() == 1);
  CHECK(left[0].first == "hf");
  CHECK(s->kb_embedded_count("m:1").first == 1);
  s->remove_kb_source(a.id);
  s->prune_kb_embeddings();
  CHECK(s->kb_embedded_count("m:1") == std::make_pair<int64_t, int64_t>(0, 0));
  CHECK(s->kb_nearest("m:1", q, 10).empty());
}
