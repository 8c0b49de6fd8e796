// Helpers shared by command files: reading text arguments, and the stable JSON shapes of
// crier's records (documented in crier(1), JSON OUTPUT).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "engine/publisher.hpp"
#include "store/types.hpp"
#include "text/text_rules.hpp"  // split_commas: every option that takes a list takes commas

namespace crier {

struct TriageOptions;
struct TriageOutcome;

// The argument itself, or all of stdin when it is "-".
std::string read_text_arg(Context& ctx, const std::string& arg);

// A time as the user reads it: local time in the configured zone, or "-" when unset.
std::string show_time(Context& ctx, std::optional<Timestamp> t);

nlohmann::json account_json(const Account& a);
nlohmann::json delivery_json(const Delivery& d, const std::string& account_name);
nlohmann::json inbox_json(const InboxItem& i, const std::string& account_name);
// An item's triage labels (an object), or null when it has none.
nlohmann::json labels_json(const std::string& triage);
// An ISO 8601 UTC string, or null.
nlohmann::json time_json(std::optional<Timestamp> t);

// What happened to a delivery that was not published in this run, and what happens next, on
// stderr - never "run the post again", which would post twice to the targets that went out.
void report_not_published(Context& ctx, const DeliveryOutcome& out);
// Warns (stderr, once per account) of tokens that run out within a week and could not be
// refreshed, as publish and post found them.
void warn_token_expiry(const PublishReport& report);
// A search snippet (matches between \x02 and \x03) for the terminal: matches bold, the rest made
// safe, newlines as spaces; and the same without the marks, for --json.
std::string show_snippet(Context& ctx, const std::string& snippet);
std::string plain_snippet(std::string snippet);

// The text after the user changed it in $VISUAL or $EDITOR (vi), trailing newlines gone.
// Throws Error(invalid_input) when the editor fails (nothing is changed then).
std::string edit_text(const std::string& text, const std::string& what = "draft");

// $XDG_CONFIG_HOME/crier/templates: the user's own prompt and post templates.
std::filesystem::path user_templates();

// Labels inbox items (crier inbox triage, poll --triage): by the config's rules alone, or with
// the model of --model or the config.
TriageOutcome run_triage_items(Context& ctx, const TriageOptions& options, bool rules_only,
                               const std::string& model_flag);

// The short name of an account id (alias, or handle when unique), "?" when gone.
std::string label_of_account(Context& ctx, int64_t account_id);

// "network:handle" of an account id, "?" when gone; cached per run by the caller if needed.
std::string account_name(Context& ctx, int64_t account_id);

}  // namespace crier
