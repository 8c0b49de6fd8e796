// End to end: crier usage sums the model calls crier recorded, priced by the config or the
// list of well-known models, and llm.daily_budget stops a call before it is sent.
#include <catch2/catch.hpp>

#include <fstream>
#include <mutex>

#include "fakes/loopback_server.hpp"
#include "fakes/temp_home.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

TEST_CASE("usage: calls, tokens and dollars by model, feature and day, and a budget that stops a call",
          "[e2e][usage]") {
  LoopbackServer llm;
  std::mutex mutex;
  int asked = 0;
  std::string model = "fake-model";
  llm.server().Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex);
    ++asked;
    json content = {{"variants", {"Meetup on Friday " + std::to_string(asked) + "."}}};
    res.set_content(json{{"model", model},
                         {"choices", {{{"message", {{"role", "assistant"}, {"content", content.dump()}}},
                                       {"finish_reason", "stop"}}}},
                         {"usage", {{"prompt_tokens", 1000}, {"completion_tokens", 200}}}}
                        .dump(),
                    "application/json");
  });
  std::string url = llm.start();
  CrierHome h(CRIER_BINARY);
  h.env["CRIER_LLM_BACKEND"] = "openai";
  h.env["CRIER_LLM_ENDPOINT"] = url + "/v1";
  h.env["CRIER_LLM_MODEL"] = "fake-model";
  h.env["OPENAI_API_KEY"] = "sk-test-usage";
  REQUIRE(h.run({"init"}).exit_code == 0);
  {
    std::ofstream cfg(h.config_file(), std::ios::app);
    cfg << "\n[llm.prices.\"fake-model\"]\ninput = 2.0\noutput = 10\n";
  }
  CHECK(h.json({"usage"})["rows"].empty());
  for (int i = 0; i < 2; ++i) {
    auto d = h.run({"draft", "our meetup on Friday", "--for", "mastodon", "--variants", "1"});
    INFO(d.out << d.err);
    REQUIRE(d.exit_code == 0);
  }
  int calls = asked;
  REQUIRE(calls >= 2);
  auto by_model = h.json({"usage"});
  INFO(by_model.dump());
  REQUIRE(by_model["rows"].size() == 1);
  CHECK(by_model["rows"][0]["key"] == "openai:fake-model");
  CHECK(by_model["total"]["calls"] == calls);
  CHECK(by_model["total"]["input_tokens"] == 1000 * calls);
  CHECK(by_model["total"]["output_tokens"] == 200 * calls);
  CHECK(by_model["total"]["cost_usd"].get<double>() == Approx(0.004 * calls));
  auto by_feature = h.json({"usage", "--by", "feature"});
  REQUIRE(by_feature["rows"].size() >= 1);
  CHECK(by_feature["rows"][0]["key"] == "draft");
  CHECK(h.json({"usage", "--by", "day", "--since", "1d"})["rows"].size() == 1);
  CHECK(h.run({"usage", "--by", "planet"}).exit_code == 2);
  auto table = h.run({"usage"});
  CHECK_THAT(table.out, Catch::Contains("openai:fake-model") && Catch::Contains("$0.0"));

  // The day's budget: spent, so the next call is not made (exit 75), and says so.
  REQUIRE(h.run({"config", "set", "llm.daily_budget", "0.005"}).exit_code == 0);
  auto refused = h.run({"draft", "one more", "--for", "mastodon", "--variants", "1"});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 75);
  CHECK_THAT(refused.err, Catch::Contains("budget") && Catch::Contains("of $0.0050"));
  CHECK(asked == calls);  // nothing was sent
  CHECK(h.run({"config", "set", "llm.daily_budget", "lots"}).exit_code == 2);
  // Tomorrow it renews.
  auto tomorrow = h.run({"draft", "one more", "--for", "mastodon", "--variants", "1"}, std::nullopt,
                        {{"CRIER_NOW", "2099-01-01T12:00:00Z"}});
  INFO(tomorrow.out << tomorrow.err);
  CHECK(tomorrow.exit_code == 0);

  // A model with no price: counted apart; with a budget, a configuration error before sending.
  model = "mystery-model";
  h.env["CRIER_LLM_MODEL"] = "mystery-model";
  int before = asked;
  auto unpriced = h.run({"draft", "unpriced", "--for", "mastodon", "--variants", "1"});
  CHECK(unpriced.exit_code == 3);
  CHECK_THAT(unpriced.err, Catch::Contains("no price") && Catch::Contains("llm.prices"));
  CHECK(asked == before);
  REQUIRE(h.run({"config", "set", "llm.daily_budget", ""}).exit_code == 0);
  REQUIRE(h.run({"draft", "unpriced", "--for", "mastodon", "--variants", "1"}).exit_code == 0);
  auto mixed = h.json({"usage", "--since", "36500d"});
  INFO(mixed.dump());
  CHECK(mixed["total"]["unpriced_calls"].get<int>() >= 1);
  // A broken price is a configuration error naming its place.
  {
    std::ofstream cfg(h.config_file(), std::ios::app);
    cfg << "\n[llm.prices.\"other\"]\ninput = \"cheap\"\n";
  }
  auto broken = h.run({"usage"});
  CHECK(broken.exit_code == 3);
  CHECK_THAT(broken.err, Catch::Contains("llm.prices.other.input"));
}
