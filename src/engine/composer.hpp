// From what the user typed to a post with deliveries: every check (length as each network
// counts it, images, accounts) happens in plan_post, before anything is written or sent.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/engine.hpp"
#include "provider/provider.hpp"
#include "store/types.hpp"
#include "text/text_rules.hpp"

namespace crier {

struct ImageArg {
  std::string path;
  std::string alt;
};

struct ComposeRequest {
  std::string text;
  std::vector<ImageArg> images;
  bool thread = false;
  std::vector<std::string> to;
  std::string lang;             // BCP 47, e.g. "en", "pt-BR"
  std::string visibility;       // public | unlisted | private | direct
  std::string content_warning;
  bool no_card = false;         // no link preview card
  std::vector<std::string> parts;  // a thread split beforehand (a drafted thread); else empty
  std::string title;               // --title, for the networks whose posts have one
  std::vector<std::pair<std::string, std::string>> options;  // --opt NAME=VALUE, in order given
  std::string origin = "typed";    // typed | drafted | template
};

struct TargetPlan {
  Account account;
  TextRules rules;
  std::vector<std::string> parts;   // what will be sent, in order
  std::vector<LengthCheck> checks;  // one per part
};

struct PostPlan {
  Post post;
  std::vector<TargetPlan> targets;
};

// The parts a delivery sends to an account with these rules: the author's own parts, a thread
// split to fit, or the text as one part.
std::vector<std::string> parts_for(const Post& post, const TextRules& rules);

// Validates the request for every target and returns the plan. Writes nothing.
// Throws Error(invalid_input) when text is empty or too long (saying by how much and
// suggesting --thread), an image is missing or over a limit, or an account is unknown; and
// Error(usage) for an --opt no target declares, a value of the wrong type, a required option
// or title missing for a target (naming it), or a --title no target takes.
PostPlan plan_post(Engine& engine, const ComposeRequest& request);

// Stores the post (media copied into the data dir) and one queued delivery per target, the
// i-th due at due[i], in one transaction. Returns the deliveries. With --opt
// native_schedule=true, a delivery to a network that schedules posts itself, due at least its
// minimum lead ahead, gets native_lead: it is handed to the network from then on.
std::vector<Delivery> enqueue_post(Engine& engine, PostPlan& plan, const std::vector<Timestamp>& due,
                                   const std::string& tz);

// A fresh idempotency key for a delivery.
std::string new_idempotency_key();

}  // namespace crier
