// Unit: the checks of the inbox's model features - what a suggested reply may say, triage
// rules and the labels a model gives - and the config's [triage.rules].
#include "engine/assistant.hpp"

#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "error.hpp"

using namespace crier;
using nlohmann::json;

TEST_CASE("grounding: cited sources must exist, and facts must come from somewhere", "[assistant]") {
  std::string known = "Any print can be returned within 30 days. Write to help@shop.example.";
  CHECK(check_grounding("You can return it within 30 days.", json{1}, 2, known).empty());
  CHECK(check_grounding("You can return it within 30 days [2].", json::array(), 2, known).empty());
  CHECK_THAT(check_grounding("Within 30 days [3].", json{1}, 2, known),
             Catch::Contains("source 3, which does not exist (sources are 1 to 2)"));
  CHECK_THAT(check_grounding("Sure!", json{1}, 0, known), Catch::Contains("there are no sources"));
  CHECK_THAT(check_grounding("Returns take 45 days.", json{1}, 2, known), Catch::Contains("45"));
  CHECK_THAT(check_grounding("Returns take 3 days.", json{1}, 2, known),
             Catch::Contains("states 3,"));  // not "30"
  CHECK_THAT(check_grounding("See https://evil.example/x", json::array(), 2, known),
             Catch::Contains("https://evil.example/x"));
  CHECK_THAT(check_grounding("Mail me at me@other.example", json::array(), 2, known),
             Catch::Contains("me@other.example"));
  CHECK(check_grounding("Mail help@shop.example.", json::array(), 2, known).empty());
  CHECK_THAT(check_grounding("ok", json{"one"}, 2, known), Catch::Contains("not a source number"));
  CHECK_THAT(check_grounding("ok", json("1"), 2, known), Catch::Contains("not a list"));
  CHECK(check_grounding("  ", json::array(), 2, known) == "it is empty");
  CHECK(check_grounding("Thanks so much!", nullptr, 0, "").empty());
}

TEST_CASE("triage rules: whole words, phrases, prefixes, any case", "[assistant]") {
  std::vector<TriageRule> rules = {{"refunds", {"refund*", "money back"}, "support", "", "high"},
                                   {"love", {"love"}, "praise", "positive", ""}};
  auto names = [&](std::string_view text) {
    std::string out;
    for (const auto* r : matching_rules(rules, text)) out += r->name + " ";
    return out;
  };
  CHECK(names("I want a REFUND") == "refunds ");
  CHECK(names("refunds please") == "refunds ");
  CHECK(names("no prefund here") == "");
  CHECK(names("Money back, or I love it?") == "refunds love ");
  CHECK(names("I'm lovely") == "");
  CHECK(names("") == "");
}

TEST_CASE("triage labels: the schema, checked", "[assistant]") {
  json ok = {{"intent", "question"},
             {"sentiment", "neutral"},
             {"urgency", "high"},
             {"language", "pt-BR"},
             {"toxicity", 0.1}};
  CHECK(check_labels(ok).empty());
  auto with = [&](const char* k, json v) {
    json j = ok;
    j[k] = v;
    return check_labels(j);
  };
  CHECK_THAT(with("intent", "evil"), Catch::Contains("intent 'evil'"));
  CHECK_THAT(with("sentiment", 3), Catch::Contains("sentiment"));
  CHECK_THAT(with("urgency", "now"), Catch::Contains("urgency 'now'"));
  CHECK_THAT(with("language", "english; DROP TABLE"), Catch::Contains("language"));
  CHECK_THAT(with("toxicity", 1.5), Catch::Contains("toxicity"));
  CHECK_THAT(with("toxicity", "0"), Catch::Contains("toxicity"));
  CHECK(check_labels(json::array()) == "not an object");
}

TEST_CASE("config: [triage.rules] are read and checked with file and line", "[assistant][config]") {
  auto cfg = Config::from_text(
      "[triage.rules.refunds]\nwords = [\"refund*\", \"money back\"]\nintent = \"support\"\n"
      "urgency = \"high\"\n",
      "/tmp/c.toml");
  auto rules = triage_rules(cfg);
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].name == "refunds");
  CHECK(rules[0].words == std::vector<std::string>{"refund*", "money back"});
  CHECK(rules[0].intent == "support");
  CHECK(rules[0].urgency == "high");
  CHECK(cfg.warnings().empty());
  auto bad = [](const std::string& text) {
    try {
      Config::from_text(text, "/tmp/c.toml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(bad("[triage.rules.x]\nintent = \"angry\"\n"),
             Catch::Contains("c.toml:2") && Catch::Contains("intent is one of"));
  CHECK_THAT(bad("[triage.rules.x]\nwords = \"refund\"\n"), Catch::Contains("words is a list"));
  CHECK_THAT(bad("[triage.rules.x]\nwords = [1]\n"), Catch::Contains("every word"));
  CHECK_THAT(bad("[triage.rules.x]\nwords = [\"*\"]\n"), Catch::Contains("every word"));
  CHECK_THAT(bad("[triage.rules.x]\ncolour = \"red\"\n"),
             Catch::Contains("words, intent, sentiment and urgency"));
}
