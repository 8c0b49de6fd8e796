// crier poll: fetch what is new (replies, mentions, DMs) from each account, from its cursor.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/assistant.hpp"
#include "engine/inbox.hpp"
#include "error.hpp"
#include "llm_setup.hpp"
#include "output/table.hpp"

namespace crier {
namespace {

struct PollCmdOptions {
  std::string account;
  std::vector<std::string> kinds;
  bool triage = false;
  bool rules_only = false;
  std::string model;
};

// Labels what this poll fetched; a failure is said and leaves the items for inbox triage.
nlohmann::json triage_fetched(const PollCmdOptions& o, Context& ctx, const std::vector<int64_t>& ids,
                              bool& failed) {
  TriageOptions t;
  t.ids = ids;
  TriageOutcome r;
  try {
    r = run_triage_items(ctx, t, o.rules_only, o.model);
  } catch (const Error& e) {
    failed = true;
    ctx.err << "crier: triage failed: " << e.what() << (e.hint().empty() ? "" : " (" + e.hint() + ")")
            << "; the items are in the inbox, unlabelled: crier inbox triage\n";
    return {{"labelled", 0}, {"unlabelled", ids.size()}, {"error", e.what()}};
  }
  int labelled = 0;
  for (const auto& x : r.results) labelled += x.labels.is_null() ? 0 : 1;
  int left = static_cast<int>(r.results.size()) - labelled;
  if (left) {
    failed = true;
    for (const auto& x : r.results)
      if (!x.error.empty()) ctx.err << "crier: item " << x.item.id << " left unlabelled: " << x.error << '\n';
  }
  if (!ctx.global().json && !ctx.global().quiet)
    ctx.out << "triaged " << labelled << " of " << r.results.size()
            << ": crier inbox list --label question --urgent\n";
  return {{"labelled", labelled}, {"unlabelled", left}, {"error", nullptr}};
}

InboxStream stream_of(const std::string& kind) {
  if (kind == "replies" || kind == "comments") return InboxStream::replies;
  if (kind == "mentions") return InboxStream::mentions;
  if (kind == "dms") return InboxStream::dms;
  throw Error(ErrorKind::usage, "unknown kind '" + kind + "'", "use replies (or comments), mentions or dms");
}

int run_poll(const PollCmdOptions& o, Context& ctx) {
  PollOptions po;
  for (const auto& k : split_commas(o.kinds)) po.streams.push_back(stream_of(k));
  std::vector<PollResult> results;
  if (Store* store = ctx.existing_store()) {
    if (!o.account.empty()) po.account_id = resolve_account(*store, o.account).id;
    results = poll_inbox(ctx.engine(), po);
  }
  nlohmann::json list = nlohmann::json::array();
  int added = 0, failed = 0;
  std::vector<int64_t> added_ids;
  std::optional<ErrorKind> first_kind;
  Table t({"ACCOUNT", "STREAM", "NEW", "DETAIL"});
  for (const auto& r : results) {
    added += r.added;
    added_ids.insert(added_ids.end(), r.added_ids.begin(), r.added_ids.end());
    if (r.error_kind) {
      ++failed;
      if (!first_kind) first_kind = r.error_kind;
    }
    list.push_back({{"account", r.account.name()},
                    {"stream", to_string(r.stream)},
                    {"fetched", r.fetched},
                    {"new", r.added},
                    {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)}});
    t.add({r.account.name(), std::string(to_string(r.stream)), std::to_string(r.added),
           r.error.empty() ? "ok" : r.error});
  }
  if (!ctx.global().json && !ctx.global().quiet && !results.empty()) {
    ctx.print_table(t);
    if (added > 0) ctx.out << added << " new in the inbox: crier inbox\n";
  }
  bool triage_failed = false;
  nlohmann::json triage = nullptr;
  if (o.triage && !added_ids.empty()) triage = triage_fetched(o, ctx, added_ids, triage_failed);
  if (ctx.global().json) {
    nlohmann::json j = {{"new", added}, {"streams", list}};
    if (o.triage) j["triage"] = triage;
    ctx.print_json(j);
  }
  if (failed == 0) return triage_failed ? exit_code::partial : exit_code::ok;
  if (failed == static_cast<int>(results.size())) return exit_code_for(*first_kind);
  return exit_code::partial;
}

}  // namespace

void add_poll(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<PollCmdOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("--account", o->account, "only this account");
  cmd->add_option("--kind", o->kinds, "only these: replies (comments), mentions, dms");
  cmd->add_flag("--triage", o->triage, "label what was fetched (crier inbox triage)");
  cmd->add_flag("--rules-only", o->rules_only, "with --triage: only the config's [triage.rules], no model");
  cmd->add_option("--model", o->model, "with --triage: PROVIDER:MODEL for this run");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_poll(*o, c); }; });
}

}  // namespace crier
