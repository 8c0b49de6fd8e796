// crier poll: fetch what is new (replies, mentions, DMs) from each account, from its cursor.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/inbox.hpp"
#include "error.hpp"
#include "output/table.hpp"

namespace crier {
namespace {

struct PollCmdOptions {
  std::string account;
  std::vector<std::string> kinds;
};

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
  std::optional<ErrorKind> first_kind;
  Table t({"ACCOUNT", "STREAM", "NEW", "DETAIL"});
  for (const auto& r : results) {
    added += r.added;
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
  if (ctx.global().json)
    ctx.print_json({{"new", added}, {"streams", list}});
  else if (!ctx.global().quiet && !results.empty()) {
    ctx.print_table(t);
    if (added > 0) ctx.out << added << " new in the inbox: crier inbox\n";
  }
  if (failed == 0) return exit_code::ok;
  if (failed == static_cast<int>(results.size())) return exit_code_for(*first_kind);
  return exit_code::partial;
}

}  // namespace

void add_poll(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<PollCmdOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("--account", o->account, "only this account");
  cmd->add_option("--kind", o->kinds, "only these: replies (comments), mentions, dms");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_poll(*o, c); }; });
}

}  // namespace crier
