// crier slots set|list|clear: posting slots per account, for schedule --next-slot.
#include <CLI/CLI.hpp>

#include <date/tz.h>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/schedules.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/recurrence.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct SlotsOptions {
  std::string account;
  std::string rule;
};

nlohmann::json slots_json(Context& ctx, const Account& a, const SlotRule& s) {
  Recurrence r = parse_recurrence(s.rule);
  nlohmann::json next_free = nullptr;  // the slot --next-slot would take now
  try {
    next_free = format_utc(next_free_slot(ctx.engine(), a, ctx.clock().now()));
  } catch (const Error&) {
  }
  return {{"account", a.name()}, {"rule", s.rule},       {"rrule", r.to_rrule()},
          {"description", r.describe()}, {"timezone", s.tz}, {"next_free", next_free}};
}

int run_set(const SlotsOptions& o, Context& ctx) {
  Recurrence r = parse_recurrence(o.rule);
  if (r.times.empty())
    throw Error(ErrorKind::invalid_input, "slots need times of day: '" + o.rule + "' has none",
                "e.g. crier slots set " + o.account + " \"mon-fri 09:00,13:00\"");
  Account a = resolve_account(ctx.store(), o.account);
  SlotRule s{a.id, o.rule, std::string(ctx.time_zone()->name()), ctx.clock().now()};
  ctx.store().set_slots(s);
  auto j = slots_json(ctx, a, s);
  if (ctx.global().json) {
    ctx.print_json(j);
    return 0;
  }
  ctx.info("slots for " + a.name() + ": " + r.describe() + " (" + s.tz + ")" +
           (j["next_free"].is_null() ? "" : "; next free " + show_time(ctx, *parse_iso8601(j["next_free"].get<std::string>()))));
  return 0;
}

int run_list(Context& ctx) {
  nlohmann::json list = nlohmann::json::array();
  if (Store* store = ctx.existing_store())
    for (const auto& s : store->list_slots())
      if (auto a = store->find_account(s.account_id)) list.push_back(slots_json(ctx, *a, s));
  if (ctx.global().json) {
    ctx.print_json({{"slots", list}});
    return 0;
  }
  if (list.empty()) {
    ctx.info("no posting slots; set some: crier slots set ACCOUNT \"mon-fri 09:00,13:00\"");
    return 0;
  }
  Table t({"ACCOUNT", "SLOTS", "ZONE", "NEXT FREE"});
  for (const auto& j : list)
    t.add({j["account"], j["description"], j["timezone"],
           j["next_free"].is_null() ? "-" : show_time(ctx, *parse_iso8601(j["next_free"].get<std::string>()))});
  ctx.print_table(t);
  return 0;
}

int run_clear(const SlotsOptions& o, Context& ctx) {
  Account a = resolve_account(ctx.store(), o.account);
  bool had = ctx.store().clear_slots(a.id);
  if (ctx.global().json)
    ctx.print_json({{"account", a.name()}, {"cleared", had}});
  else
    ctx.info(had ? "cleared the slots of " + a.name() : a.name() + " had no slots");
  return 0;
}

}  // namespace

void add_slots(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<SlotsOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto* set = cmd->add_subcommand("set", "set an account's slots, e.g. \"mon-fri 09:00,13:00\" (in the configured zone)");
  set->add_option("account", o->account, "network:handle or alias")->required();
  set->add_option("rule", o->rule, "days and times: 'mon-fri 09:00,13:00', 'daily 18:30', or an RRULE")->required();
  set->callback([o, &selected] { selected = [o](Context& c) { return run_set(*o, c); }; });
  auto* list = cmd->add_subcommand("list", "list slots with each account's next free one");
  list->callback([&selected] { selected = run_list; });
  auto* clear = cmd->add_subcommand("clear", "remove an account's slots");
  clear->add_option("account", o->account, "network:handle or alias")->required();
  clear->callback([o, &selected] { selected = [o](Context& c) { return run_clear(*o, c); }; });
}

}  // namespace crier
