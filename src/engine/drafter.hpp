// Drafting with a language model: the prompt from a template, variants checked against every
// target network's rules as that network counts them, a variant that does not fit sent back to
// be shortened within a bounded number of rounds (never cut off), and the draft stored with its
// provenance: template, model, tokens, latency, and every call in llm_calls.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "llm/llm.hpp"
#include "store/types.hpp"
#include "text/text_rules.hpp"

namespace crier {

class Transport;

struct DraftTarget {
  std::string network;
  TextRules rules;
};

struct DraftRequest {
  std::string topic;
  std::string source;  // text to base the post on (--from FILE, stdin)
  std::string tone, audience, lang;
  int hashtags = 0;
  int variants = 1;
  int max_rounds = 3;  // shortening calls per part, at most
  bool thread = false;
  std::string template_name = "draft";
  nlohmann::json vars = nlohmann::json::object();  // --var NAME=VALUE, for post templates
  std::vector<DraftTarget> targets;
  // The variants' text as the model writes it (not its JSON): variant and part numbers from 1.
  std::function<void(int variant, int part, std::string_view text)> on_text = nullptr;
  // What is happening while nothing streams ("shortening variant 2 (612/500 graphemes)…").
  std::function<void(const std::string&)> on_status = nullptr;
};

struct DraftVariant {
  std::vector<std::string> parts;  // one part unless a thread
  bool fits = true;                // every part fits every target
  int shortened = 0;               // shortening calls it took
  nlohmann::json counts;           // [{"network", "part", "length", "limit", "unit", "bytes", "fits"}]
};

struct DraftOutcome {
  Draft draft;  // stored; its text is the first variant that fits (or the first)
  std::vector<DraftVariant> variants;  // as many as asked for, all different - unless short_by
  std::string short_by;  // why there are fewer than asked for, or ""
};

// Counts each part of the variant for each target, setting fits and counts.
void count_variant(DraftVariant& variant, const std::vector<DraftTarget>& targets);

// The variants as stored in a draft (its "variants" JSON), and back.
std::vector<DraftVariant> stored_variants(const Draft& draft);
std::string variants_json(const std::vector<DraftVariant>& variants);
// The text (and a thread's parts) a draft posts when no variant is named: the first variant
// that fits everywhere, else the first.
void choose_text(Draft& draft, const std::vector<DraftVariant>& variants);

// A web page's readable text for --url: fetched within 10 s and 2 MB, its HTML turned into
// text, and cut (with a warning, at a character boundary) to 12,000 bytes a prompt can carry.
// Throws Error(usage) for an address that is not http(s), and the fetch's errors.
std::string page_text(Transport& http, const Clock& clock, const std::string& url);

// Asks for request.variants variants, all different: asks again (twice at most) for those the
// model did not give or that came out the same as another, and says in short_by why there
// are fewer if still so. Throws Error(invalid_input) when the model refused or gave nothing
// usable (its words included), and the LLM's errors (auth, rate_limited, transient, ...).
DraftOutcome write_draft(Engine& engine, LlmBackend& llm, const std::filesystem::path& user_templates,
                         const DraftRequest& request);

}  // namespace crier
