// One call to the language model as every feature makes it (drafting, suggested replies,
// triage, summaries): checked against the daily budget before anything is sent, recorded in
// llm_calls whatever happens, a refusal turned into a clear error, and a 429 or a transient
// failure tried again (twice at most, after the server's Retry-After up to 30 s).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/engine.hpp"
#include "llm/embed.hpp"
#include "llm/llm.hpp"

namespace crier {

// `purpose` names the feature in llm_calls (crier usage --by feature).
ChatResult call_model(Engine& engine, LlmBackend& llm, const std::string& purpose,
                      const ChatRequest& request);

// One request to an embedding model, the same way: the budget checked, recorded in llm_calls
// (`what` stands for the texts there: the documents are in the knowledge base already), a 429
// or transient failure tried again twice.
EmbedResult call_embedder(Engine& engine, Embedder& embedder, const std::string& purpose,
                          const std::vector<std::string>& texts, EmbedTask task, const std::string& what);

// The JSON object in a model's answer: the whole answer, or what is between ```json fences or
// the outer braces (small local models like to add words around it).
std::optional<nlohmann::json> json_object_in(const std::string& text);

// "name@1a2b3c4d": a template and a hash of its text, stored with what it produced, so a
// label or a suggestion says which prompt made it.
std::string template_version(const std::string& name, const std::string& text);

}  // namespace crier
