// The LLM backends: what crier sends (model, messages, response format, keys in headers), and
// how it reads answers, whole and streamed in pieces split anywhere - inside a UTF-8 sequence,
// inside a JSON string - refusals, and errors.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include "config/config.hpp"
#include "engine/drafter.hpp"
#include "error.hpp"
#include "fakes/temp_home.hpp"
#include "provider/provider.hpp"
#include "store/store.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/loopback_server.hpp"
#include "http/transport.hpp"
#include "llm/llm.hpp"
#include "llm/templates.hpp"
#include "llm/variant_stream.hpp"
#include "llm/sse.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

ChatRequest ask(bool stream, std::string* streamed = nullptr) {
  ChatRequest r;
  r.messages = {{"system", "You write posts."}, {"user", "A post about café ☕ culture"}};
  r.json = true;
  r.max_tokens = 300;
  if (stream) r.on_text = [streamed](std::string_view s) { streamed->append(s); };
  return r;
}

HttpResponse sse(std::string body) { return HttpResponse{200, {{"Content-Type", "text/event-stream"}}, std::move(body)}; }

const std::string k_text = "Café ☕ culture, 東京 édition 👩‍💻";

}  // namespace

TEST_CASE("sse: events come out whole whatever the pieces", "[llm][sse]") {
  std::string stream = ": keep-alive\r\nevent: message_start\r\ndata: {\"a\":\"é☕\"}\r\n\r\ndata: line one\ndata: line two\n\n"
                       "data: [DONE]\n\n";
  for (size_t cut = 1; cut <= stream.size(); ++cut) {
    std::vector<SseEvent> got;
    SseParser p([&](const SseEvent& e) { got.push_back(e); });
    for (size_t i = 0; i < stream.size(); i += cut) p.feed(std::string_view(stream).substr(i, cut));
    p.finish();
    INFO("pieces of " << cut);
    REQUIRE(got.size() == 3);
    CHECK(got[0].event == "message_start");
    CHECK(got[0].data == "{\"a\":\"é☕\"}");
    CHECK(got[1].data == "line one\nline two");
    CHECK(got[2].data == "[DONE]");
  }
}

TEST_CASE("utf8 stream: pieces never end inside a character", "[llm][sse]") {
  std::string all;
  std::vector<std::string> pieces;
  Utf8Stream u([&](std::string_view s) { pieces.emplace_back(s); });
  for (char c : k_text) u.write(std::string_view(&c, 1));
  u.flush();
  for (const auto& p : pieces) {
    all += p;
    unsigned char last = static_cast<unsigned char>(p.back());
    CHECK((last < 0x80 || (last & 0xC0) == 0x80));  // ends on ASCII or a continuation byte
  }
  CHECK(all == k_text);
}

TEST_CASE("openai-compatible: request, JSON mode, whole and streamed answers, usage", "[llm][openai]") {
  FakeTransport http;
  LlmSettings s{"openai", "https://api.openai.example/v1/", "gpt-test", "sk-secret"};
  auto llm = make_llm_backend(http, s);
  json answer = {{"id", "c1"},
                 {"model", "gpt-test-2026"},
                 {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", k_text}}}, {"finish_reason", "stop"}}}},
                 {"usage", {{"prompt_tokens", 21}, {"completion_tokens", 9}}}};
  http.expect("POST", "https://api.openai.example/v1/chat/completions", [](const HttpRequest& q) {
    json b = json::parse(q.body);
    CHECK(b["model"] == "gpt-test");
    CHECK(b["messages"][0] == json{{"role", "system"}, {"content", "You write posts."}});
    CHECK(b["response_format"]["type"] == "json_object");
    CHECK(b["stream"] == false);
    CHECK(b["max_tokens"] == 300);
    CHECK(HttpResponse{0, q.headers, ""}.header("Authorization") == "Bearer sk-secret");
  }, json_response(200, answer.dump()));
  ChatResult r = llm->chat(ask(false));
  CHECK(r.text == k_text);
  CHECK(r.model == "gpt-test-2026");
  CHECK(r.prompt_tokens == 21);
  CHECK(r.completion_tokens == 9);
  CHECK_FALSE(r.refused);

  // Streamed: deltas split into 7-byte pieces by the fake (inside UTF-8 and JSON strings).
  std::string body;
  for (std::string piece : {"Café ☕ ", "culture, 東京", " édition 👩‍💻"})
    body += "data: " + json{{"choices", {{{"index", 0}, {"delta", {{"content", piece}}}}}}}.dump() + "\n\n";
  body += "data: " + json{{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}}.dump() + "\n\n";
  body += "data: " + json{{"choices", json::array()}, {"usage", {{"prompt_tokens", 21}, {"completion_tokens", 12}}}}.dump() + "\n\n";
  body += "data: [DONE]\n\n";
  http.expect("POST", "https://api.openai.example/v1/chat/completions", [](const HttpRequest& q) {
    json b = json::parse(q.body);
    CHECK(b["stream"] == true);
    CHECK(b["stream_options"]["include_usage"] == true);
  }, sse(body));
  std::string streamed;
  ChatResult st = llm->chat(ask(true, &streamed));
  CHECK(streamed == k_text);
  CHECK(st.text == k_text);
  CHECK(st.finish_reason == "stop");
  CHECK(st.completion_tokens == 12);
}

TEST_CASE("openai-compatible: refusals, errors by kind, malformed answers, ollama's /v1", "[llm][openai][errors]") {
  FakeTransport http;
  auto llm = make_llm_backend(http, LlmSettings{"ollama", "http://127.0.0.1:11434", "llama3.2", ""});
  json refusal = {{"choices", {{{"message", {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't help with that."}}},
                                {"finish_reason", "stop"}}}}};
  http.expect("POST", "http://127.0.0.1:11434/v1/chat/completions", [](const HttpRequest& q) {
    CHECK_FALSE(HttpResponse{0, q.headers, ""}.header("Authorization"));  // no key, no header
  }, json_response(200, refusal.dump()));
  ChatResult r = llm->chat(ask(false));
  CHECK(r.refused);

  auto kind = [&](HttpResponse resp) {
    http.expect("POST", "http://127.0.0.1:11434/v1/chat/completions", resp);
    try {
      llm->chat(ask(false));
    } catch (const Error& e) {
      return std::make_pair(e.kind(), std::string(e.what()));
    }
    return std::make_pair(ErrorKind::internal, std::string("no error"));
  };
  CHECK(kind(json_response(401, R"({"error":{"message":"Incorrect API key provided"}})")).first == ErrorKind::auth);
  auto limited = kind(json_response(429, R"({"error":{"message":"Rate limit reached"}})", {{"Retry-After", "20"}}));
  CHECK(limited.first == ErrorKind::rate_limited);
  CHECK(kind(json_response(500, "{}")).first == ErrorKind::transient);
  auto bad = kind(json_response(200, "<html>oops</html>"));
  CHECK(bad.first == ErrorKind::permanent);
  CHECK_THAT(bad.second, Catch::Contains("not JSON"));
}

TEST_CASE("llm: a refused key's hint names where the key came from, not an account", "[llm][errors]") {
  FakeTransport http;
  auto hint_for = [&](LlmSettings s) {
    auto llm = make_llm_backend(http, s);
    http.expect("POST", "https://api.example/v1/chat/completions",
                json_response(401, R"({"error":{"message":"Incorrect API key provided"}})"));
    try {
      llm->chat(ask(false));
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      return e.hint();
    }
    return std::string("no error");
  };
  LlmSettings s{"openai", "https://api.example/v1", "gpt", "sk-wrong"};
  s.key_source = "OPENAI_API_KEY";
  CHECK_THAT(hint_for(s), Catch::Contains("the key from OPENAI_API_KEY was refused"));
  s.key_source = "llm.api_key_cmd";
  CHECK_THAT(hint_for(s), Catch::Contains("llm.api_key_cmd"));
  s.key_source.clear();
  s.api_key.clear();
  std::string none = hint_for(s);
  CHECK_THAT(none, Catch::Contains("llm.api_key_cmd"));
  CHECK_THAT(none, !Catch::Contains("accounts add"));
}

TEST_CASE("anthropic: system apart, key and version headers, streamed events", "[llm][anthropic]") {
  FakeTransport http;
  auto llm = make_llm_backend(http, LlmSettings{"anthropic", "", "claude-test", "ak-secret"});
  std::string body =
      "event: message_start\ndata: " +
      json{{"type", "message_start"}, {"message", {{"model", "claude-test-2026"}, {"usage", {{"input_tokens", 30}, {"output_tokens", 1}}}}}}.dump() +
      "\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  for (std::string piece : {"Café ☕ culture, ", "東京 édition 👩‍💻"})
    body += "event: content_block_delta\ndata: " +
            json{{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", piece}}}}.dump() + "\n\n";
  body += "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  body += "event: message_delta\ndata: " +
          json{{"type", "message_delta"}, {"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", 14}}}}.dump() +
          "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  http.expect("POST", "https://api.anthropic.com/v1/messages", [](const HttpRequest& q) {
    json b = json::parse(q.body);
    CHECK(b["model"] == "claude-test");
    CHECK_THAT(b["system"].get<std::string>(), Catch::StartsWith("You write posts.") && Catch::Contains("JSON"));
    CHECK(b["messages"].size() == 1);
    CHECK(b["messages"][0]["role"] == "user");
    CHECK(b["stream"] == true);
    HttpResponse h{0, q.headers, ""};
    CHECK(h.header("x-api-key") == "ak-secret");
    CHECK(h.header("anthropic-version") == "2023-06-01");
  }, sse(body));
  std::string streamed;
  ChatResult r = llm->chat(ask(true, &streamed));
  CHECK(streamed == k_text);
  CHECK(r.model == "claude-test-2026");
  CHECK(r.prompt_tokens == 30);
  CHECK(r.completion_tokens == 14);
  CHECK(r.finish_reason == "end_turn");

  // An error event mid-stream (overloaded) is transient; a refusal is said.
  http.expect("POST", "https://api.anthropic.com/v1/messages",
              sse("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"));
  try {
    llm->chat(ask(true, &streamed));
    FAIL("expected transient");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);
  }
  json refused = {{"model", "claude-test"}, {"content", json::array()}, {"stop_reason", "refusal"},
                  {"usage", {{"input_tokens", 5}, {"output_tokens", 0}}}};
  http.expect("POST", "https://api.anthropic.com/v1/messages", json_response(200, refused.dump()));
  CHECK(llm->chat(ask(false)).refused);
}

TEST_CASE("gemini: contents and systemInstruction, JSON mime type, streamed chunks, safety blocks", "[llm][gemini]") {
  FakeTransport http;
  auto llm = make_llm_backend(http, LlmSettings{"gemini", "", "gemini-test", "gk-secret"});
  std::string body;
  for (std::string piece : {"Café ☕ culture", ", 東京 édition 👩‍💻"})
    body += "data: " + json{{"candidates", {{{"content", {{"role", "model"}, {"parts", {{{"text", piece}}}}}}}}}}.dump() + "\r\n\r\n";
  body += "data: " + json{{"candidates", {{{"content", {{"role", "model"}, {"parts", json::array()}}}, {"finishReason", "STOP"}}}},
                          {"usageMetadata", {{"promptTokenCount", 17}, {"candidatesTokenCount", 11}}},
                          {"modelVersion", "gemini-test-001"}}.dump() + "\r\n\r\n";
  http.expect("POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
              [](const HttpRequest& q) {
                json b = json::parse(q.body);
                CHECK(b["systemInstruction"]["parts"][0]["text"] == "You write posts.");
                CHECK(b["contents"][0]["role"] == "user");
                CHECK(b["generationConfig"]["responseMimeType"] == "application/json");
                CHECK(b["generationConfig"]["maxOutputTokens"] == 300);
                CHECK(HttpResponse{0, q.headers, ""}.header("x-goog-api-key") == "gk-secret");
              },
              sse(body));
  std::string streamed;
  ChatResult r = llm->chat(ask(true, &streamed));
  CHECK(streamed == k_text);
  CHECK(r.model == "gemini-test-001");
  CHECK(r.prompt_tokens == 17);
  CHECK(r.completion_tokens == 11);

  json blocked = {{"promptFeedback", {{"blockReason", "SAFETY"}}}};
  http.expect("POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent",
              json_response(200, blocked.dump()));
  CHECK(llm->chat(ask(false)).refused);
  CHECK_THROWS_WITH(make_llm_backend(http, LlmSettings{"gpt5", "", "m", ""}), Catch::Contains("unknown LLM backend"));
}

TEST_CASE("streaming through libcurl: chunks from a loopback server arrive as they are sent", "[llm][http]") {
  LoopbackServer server;
  std::string body;
  for (std::string piece : {"Café ☕ ", "culture, 東京", " édition 👩‍💻"})
    body += "data: " + json{{"choices", {{{"index", 0}, {"delta", {{"content", piece}}}}}}}.dump() + "\n\n";
  body += "data: [DONE]\n\n";
  server.server().Post("/v1/chat/completions", [body](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [body](size_t offset, httplib::DataSink& sink) {
      if (offset >= body.size()) {
        sink.done();
        return true;
      }
      sink.write(body.data() + offset, std::min<size_t>(5, body.size() - offset));  // 5 bytes at a time
      return true;
    });
  });
  std::string url = server.start();
  auto http = make_curl_transport();
  auto llm = make_llm_backend(*http, LlmSettings{"openai", url + "/v1", "local", ""});
  std::string streamed;
  ChatResult r = llm->chat(ask(true, &streamed));
  CHECK(streamed == k_text);
  CHECK(r.text == k_text);
}

TEST_CASE("streaming: a server that answers a stream request with one JSON body is read, not empty",
          "[llm][http]") {
  LoopbackServer server;
  server.server().Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        json{{"model", "whole"},
             {"choices",
              {{{"message", {{"role", "assistant"}, {"content", k_text}}}, {"finish_reason", "stop"}}}},
             {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 3}}}}
            .dump(),
        "application/json");
  });
  std::string url = server.start();
  auto http = make_curl_transport();
  auto llm = make_llm_backend(*http, LlmSettings{"openai", url + "/v1", "local", ""});
  std::string streamed;
  ChatResult r = llm->chat(ask(true, &streamed));
  CHECK(streamed == k_text);
  CHECK(r.text == k_text);
  CHECK(r.model == "whole");
  CHECK(r.prompt_tokens == 7);
}

namespace {
// A store, a clock and an engine for the drafter, and the rows it left in llm_calls.
struct DraftWorld {
  crier::testing::TempDir dir;
  FixedClock clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config config = Config::defaults();
  FakeTransport unused;  // providers make no requests here
  std::unique_ptr<Store> store = open_sqlite_store(dir.path() / "crier.db");
  ProviderSet providers{ProviderEnv{unused, clock, config, dir.path()}};
  Engine engine{*store, providers, clock, config, dir.path()};
  FakeTransport http;
  std::unique_ptr<LlmBackend> llm = make_llm_backend(http, LlmSettings{"openai", "http://llm.test/v1", "m", ""});

  DraftRequest request(const std::string& topic) {
    DraftRequest q;
    q.topic = topic;
    Account a;
    a.network = "bluesky";
    q.targets.push_back({"bluesky", providers.get("bluesky").text_rules(a)});
    q.max_rounds = 2;
    return q;
  }
  std::vector<std::string> call_statuses() {
    std::vector<std::string> out;
    sqlite3* db = nullptr;
    sqlite3_open((dir.path() / "crier.db").c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT purpose || ':' || status FROM llm_calls ORDER BY id", -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }
};

HttpResponse says(const std::string& content) {
  json a = {{"model", "m-1"}, {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
            {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}};
  return json_response(200, a.dump());
}
}  // namespace

TEST_CASE("drafter: every call recorded, 429 tried again, refusals said and not stored", "[llm][draft]") {
  DraftWorld w;
  w.http.expect("POST", "http://llm.test/v1/chat/completions", json_response(429, R"({"error":{"message":"slow down"}})", {{"Retry-After", "0"}}));
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(R"({"variants":["Short and sweet."]})"));
  DraftOutcome r = write_draft(w.engine, *w.llm, w.dir.path() / "templates", w.request("tea"));
  CHECK(r.draft.text == "Short and sweet.");
  CHECK(r.draft.calls == 1);
  CHECK(w.store->find_draft(r.draft.id)->model == "m-1");
  CHECK(w.call_statuses() == std::vector<std::string>{"draft:error", "draft:ok"});

  json refusal = {{"choices", {{{"message", {{"role", "assistant"}, {"content", nullptr}, {"refusal", "I can't write that."}}}}}}};
  w.http.expect("POST", "http://llm.test/v1/chat/completions", json_response(200, refusal.dump()));
  try {
    write_draft(w.engine, *w.llm, w.dir.path() / "templates", w.request("something bad"));
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("declined") && Catch::Contains("I can't write that."));
  }
  CHECK(w.store->list_drafts(0).size() == 1);
  CHECK(w.call_statuses().back() == "draft:refused");
}

TEST_CASE("drafter: an answer too long is sent back in bounded rounds and never cut", "[llm][draft]") {
  DraftWorld w;
  std::string long_one = std::string(350, 'a');
  std::string still_long = std::string(320, 'b');
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(json{{"variants", {long_one}}}.dump()));
  w.http.expect("POST", "http://llm.test/v1/chat/completions", [](const HttpRequest& q) {
    CHECK_THAT(json::parse(q.body)["messages"][0]["content"].get<std::string>(),
               Catch::Contains("50 graphemes too long for bluesky"));
  }, says(json{{"text", still_long}}.dump()));
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(json{{"text", still_long}}.dump()));
  DraftOutcome r = write_draft(w.engine, *w.llm, w.dir.path() / "templates", w.request("long"));
  REQUIRE(r.variants.size() == 1);
  CHECK_FALSE(r.variants[0].fits);
  CHECK(r.variants[0].shortened == 2);          // --rounds 2: no third call
  CHECK(r.draft.text == still_long);            // as the model wrote it: flagged, not truncated
  CHECK(r.draft.calls == 3);
  CHECK(r.variants[0].counts[0]["length"] == 320);

  // Asked for a thread, given one long post: split where sentences end.
  DraftRequest q = w.request("thread");
  q.thread = true;
  std::string text;
  for (int i = 0; i < 12; ++i) text += "This is sentence number " + std::to_string(i) + " of a long story. ";
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(json{{"variants", {text}}}.dump()));
  DraftOutcome t = write_draft(w.engine, *w.llm, w.dir.path() / "templates", q);
  CHECK(t.variants[0].fits);
  REQUIRE(t.variants[0].parts.size() >= 2);
  CHECK_THAT(t.variants[0].parts[0], Catch::StartsWith("1/"));
  CHECK_THAT(t.variants[0].parts.back(), Catch::StartsWith(std::to_string(t.variants[0].parts.size()) + "/"));
  CHECK(t.draft.parts == t.variants[0].parts);
}

TEST_CASE("streaming through libcurl: Anthropic and Gemini events in 3-byte chunks", "[llm][http]") {
  std::string anthropic = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"c\",\"usage\":{\"input_tokens\":3}}}\n\n";
  for (std::string piece : {"Café ☕ culture, ", "東京 édition 👩‍💻"})
    anthropic += "event: content_block_delta\ndata: " +
                 json{{"type", "content_block_delta"}, {"delta", {{"type", "text_delta"}, {"text", piece}}}}.dump() + "\n\n";
  anthropic += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  std::string gemini;
  for (std::string piece : {"Café ☕ culture", ", 東京 édition 👩‍💻"})
    gemini += "data: " + json{{"candidates", {{{"content", {{"parts", {{{"text", piece}}}}}}}}}}.dump() + "\r\n\r\n";

  LoopbackServer server;
  auto chunked = [](std::string body) {
    return [body](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [body](size_t offset, httplib::DataSink& sink) {
        if (offset >= body.size()) {
          sink.done();
          return true;
        }
        sink.write(body.data() + offset, std::min<size_t>(3, body.size() - offset));
        return true;
      });
    };
  };
  server.server().Post("/v1/messages", chunked(anthropic));
  server.server().Post("/v1beta/models/g:streamGenerateContent", chunked(gemini));
  std::string url = server.start();
  auto http = make_curl_transport();
  for (auto settings : {LlmSettings{"anthropic", url, "c", "k"}, LlmSettings{"gemini", url + "/v1beta", "g", "k"}}) {
    INFO(settings.backend);
    auto llm = make_llm_backend(*http, settings);
    std::string streamed;
    ChatResult r = llm->chat(ask(true, &streamed));
    CHECK(streamed == k_text);
    CHECK(r.text == k_text);
  }
}

TEST_CASE("templates: prompts are text, not HTML, and a variable not given is an error", "[llm][templates]") {
  TemplateInfo t{"t", "test", "Topic: {{topic}} {{#tone}}({{tone}}){{/tone}}{{#items}}[{{name}}]{{/items}}"};
  CHECK(render_template(t, {{"topic", "Q&A with \"Tom\" <3"}, {"tone", ""}, {"items", json::array()}}) ==
        "Topic: Q&A with \"Tom\" <3 ");
  CHECK(render_template(t, {{"topic", "x"}, {"tone", "dry"}, {"items", {{{"name", "a"}}, {{"name", "b"}}}}}) ==
        "Topic: x (dry)[a][b]");
  try {
    render_template(t, {{"tone", "dry"}});
    FAIL("a missing variable rendered as nothing");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("uses {{topic}}, which was not given"));
    CHECK_THAT(e.hint(), Catch::Contains("--var topic="));
  }
  // The shipped release template needs its project and version.
  auto release = load_template("release", "/nonexistent");
  CHECK_THROWS_AS(render_template(release, {{"project", "crier"}}), Error);
  CHECK_THAT(render_template(release, {{"project", "crier"}, {"version", "2.1"}}), Catch::Contains("2.1 of crier"));
}

TEST_CASE("variant stream: the text of each variant as it arrives, never the JSON around it", "[llm][draft][stream]") {
  auto run = [](const std::string& answer, size_t piece) {
    std::vector<std::string> got;
    VariantStream s([&](int variant, int part, std::string_view t) {
      std::string key = std::to_string(variant) + "." + std::to_string(part);
      if (got.empty() || got.back().substr(0, key.size() + 1) != key + "=") got.push_back(key + "=");
      got.back() += t;
    });
    for (size_t i = 0; i < answer.size(); i += piece) s.feed(std::string_view(answer).substr(i, piece));
    return got;
  };
  std::string answer = R"({"variants": ["Wir freuen uns \"sehr\" \u00fcber\nFreitag \ud83d\ude00", "Second"], "note": "x"})";
  for (size_t piece : {1, 3, 7, 1000}) {
    INFO(piece);
    CHECK(run(answer, piece) == std::vector<std::string>{"1.1=Wir freuen uns \"sehr\" über\nFreitag 😀", "2.1=Second"});
  }
  CHECK(run(R"(```json
{"variants": [["part one", "part two"], ["other"]]}
```)", 5) == std::vector<std::string>{"1.1=part one", "1.2=part two", "2.1=other"});
  CHECK(run("Just plain text.", 4) == std::vector<std::string>{"1.1=Just plain text."});
  CHECK(run(R"({"text": "not variants", "variants": []})", 2).empty());
}

TEST_CASE("drafter: exactly the variants asked for, all different - asked again for the missing", "[llm][draft]") {
  DraftWorld w;
  DraftRequest q = w.request("meetup");
  q.variants = 3;
  // Two given, one the same as the other: one new one is missing... asked for twice more.
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(R"({"variants":["Meet us Friday!","meet us  friday!"]})"));
  w.http.expect("POST", "http://llm.test/v1/chat/completions", [](const HttpRequest& req) {
    std::string prompt = json::parse(req.body)["messages"][1]["content"];
    CHECK_THAT(prompt, Catch::Contains("Write 2 different variant"));
    CHECK_THAT(prompt, Catch::Contains("Already written (write 2 different ones):\n- Meet us Friday!"));
  }, says(R"({"variants":["Friday: meetup at 7.", "Meet us Friday!"]})"));
  w.http.expect("POST", "http://llm.test/v1/chat/completions", says(R"({"variants":["Come along on Friday."]})"));
  DraftOutcome r = write_draft(w.engine, *w.llm, w.dir.path() / "templates", q);
  REQUIRE(r.variants.size() == 3);
  CHECK(r.variants[0].parts[0] == "Meet us Friday!");
  CHECK(r.variants[1].parts[0] == "Friday: meetup at 7.");
  CHECK(r.variants[2].parts[0] == "Come along on Friday.");
  CHECK(r.short_by.empty());

  // A model that keeps repeating itself: what there is, and why not more.
  DraftRequest two = w.request("again");
  two.variants = 2;
  for (int i = 0; i < 3; ++i)
    w.http.expect("POST", "http://llm.test/v1/chat/completions", says(R"({"variants":["Only this one."]})"));
  DraftOutcome s = write_draft(w.engine, *w.llm, w.dir.path() / "templates", two);
  CHECK(s.variants.size() == 1);
  CHECK_THAT(s.short_by, Catch::Contains("1 different variant of the 2 asked for") && Catch::Contains("came out the same"));
}

TEST_CASE("templates: no partials, no delimiter changes (found by fuzzing: a value naming itself recursed)", "[llm][templates]") {
  TemplateInfo partial{"p", "test", "About: {{>topic}}"};
  CHECK_THROWS_AS(render_template(partial, {{"topic", "{{>topic}}"}}), Error);
  TemplateInfo delims{"d", "test", "{{=<% %>=}}<%>topic%>"};
  CHECK_THROWS_AS(render_template(delims, {{"topic", "x"}}), Error);
}
