// The inbox with a model: suggested replies grounded in the creator's knowledge base, triage
// labels (rules from the config first, then the model in batches), summaries, and the thread
// around an item. The incoming text is data, never instructions: it goes in the user part of
// a request, fenced by a random marker; the system part is crier's own and fixed.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "llm/embed.hpp"
#include "llm/llm.hpp"
#include "store/types.hpp"

namespace crier {

// The fixed system part of every inbox request (suggest, triage, summary).
extern const char* const k_inbox_system_prompt;

// The thread around an item, oldest first: its parents as far as crier fetched them (and the
// items we answered with a parent), the rest of a DM's conversation or, in a public thread,
// what the same person wrote there; our answers are each item's reply_text. `is_item` marks
// the one asked about.
struct ThreadLine {
  InboxItem item;
  bool is_item = false;
};
std::vector<ThreadLine> item_thread(Engine& engine, const InboxItem& item, int max = 30);

// ----- suggested replies -----

struct SuggestRequest {
  int64_t item_id = 0;
  int variants = 1;  // 1..5
  std::string tone;  // "friendly", "formal", ...
  int sources = 5;   // knowledge base chunks given to the model, at most
  Embedder* embedder = nullptr;  // retrieval by meaning too (kb_search)
  double min_similarity = 0.3;
};

struct SuggestedReply {
  Suggestion suggestion;   // stored
  nlohmann::json sources;  // [{"n", "chunk_id", "citation", "score"}]
  std::string sent_text;   // as the network gets it ("@user " first where it adds one)
  size_t length = 0, limit = 0;
  std::string unit;
  bool fits = true;
};

struct SuggestOutcome {
  InboxItem item;
  std::string network;
  std::vector<SuggestedReply> replies;
  std::vector<std::string> refused;  // why a reply the model wrote was not kept
  bool answerable = true;            // the model found the answer in the sources
  int calls = 0;
  std::vector<KbHit> retrieved;
};

// Retrieves from the knowledge base, asks for replies that state only what the sources say,
// and keeps a reply only when every source it cites was given, every [n] in it too, and it
// states no number, link or address that is in neither the sources nor the conversation; a
// reply too long for the network is not kept either. Asks once more, saying what was wrong,
// when none could be kept; then throws Error(permanent) with the reasons, storing nothing.
// The kept ones replace the item's earlier suggestions.
SuggestOutcome suggest_replies(Engine& engine, LlmBackend& llm, const std::filesystem::path& user_templates,
                               const SuggestRequest& request);

// The problems with one reply the model wrote: "" when it may be kept. `source_count` sources
// were given, numbered from 1; `known_text` is what the reply may quote facts from.
std::string check_grounding(const std::string& text, const nlohmann::json& cited, size_t source_count,
                            const std::string& known_text);

// Stored suggestion `number` of an item, and the citations of the sources it stands on that
// have left the knowledge base since (the reply may no longer be right). Throws
// Error(not_found) naming the numbers there are, or how to get some.
struct PickedSuggestion {
  Suggestion suggestion;
  std::vector<std::string> stale_sources;
};
PickedSuggestion pick_suggestion(Engine& engine, int64_t item_id, int number);

// ----- triage -----

// A rule from [triage.rules."NAME"]: any of its words or phrases ("refund", "money back",
// "discount*" for a prefix), whole words, case-insensitive, sets the labels it names.
struct TriageRule {
  std::string name;
  std::vector<std::string> words;
  std::string intent, sentiment, urgency;
};
// The rules of the config, checked: Error(config) naming the rule for a bad label.
std::vector<TriageRule> triage_rules(const Config& config);
// The rules `text` matches, in order.
std::vector<const TriageRule*> matching_rules(const std::vector<TriageRule>& rules, std::string_view text);

struct TriageOptions {
  std::optional<int64_t> account_id;
  std::optional<Timestamp> since;
  std::vector<int64_t> ids;  // only these items (poll --triage: what it fetched)
  bool again = false;        // label items that have labels already
  int batch = 10;            // items per model call
  int limit = 200;           // items per run, at most
  std::function<void(const std::string&)> on_status = nullptr;
};

struct TriageResult {
  InboxItem item;
  nlohmann::json labels;  // as stored, or null when left unlabelled
  std::string error;      // why it was left unlabelled
};

struct TriageOutcome {
  std::vector<TriageResult> results;
  int calls = 0;
};

// Labels the items: the rules first; the model (when `llm` is given) for the rest, a batch per
// call, its answer checked against the schema and what is invalid asked again once; an item
// still without a valid answer is left unlabelled (and said so). Rule labels win over the model's.
TriageOutcome triage_items(Engine& engine, LlmBackend* llm, const std::filesystem::path& user_templates,
                           const TriageOptions& options);

// The model's labels for one item, checked: the reason they are not valid, or "".
std::string check_labels(const nlohmann::json& labels);

// ----- summaries -----

struct SummaryRequest {
  std::optional<int64_t> item_id;  // the conversation around an item
  std::string thread_id;           // a thread (with account_id)
  std::optional<Timestamp> since;  // everything of a period
  std::optional<int64_t> account_id;
  int max_items = 200;
  std::function<void(std::string_view)> on_text = nullptr;  // streamed
};

struct SummaryOutcome {
  std::string text;
  std::vector<int64_t> item_ids;
  std::string model;
};

// Throws Error(not_found) when there is nothing to summarise.
SummaryOutcome summarize_inbox(Engine& engine, LlmBackend& llm, const std::filesystem::path& user_templates,
                               const SummaryRequest& request);

}  // namespace crier
