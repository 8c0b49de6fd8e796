// crier inbox [list|search|show|reply|hide|ignore|done]
#include <CLI/CLI.hpp>

#include <algorithm>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/inbox.hpp"
#include "error.hpp"
#include "kb/knowledge_base.hpp"
#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "output/table.hpp"
#include "store/store.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

struct InboxOptions {
  std::vector<std::string> statuses;
  std::vector<std::string> kinds;
  std::string account;
  bool all = false;
  int limit = 50;
  int64_t id = 0;
  std::string text;
  bool human_agent = false;
  bool undo = false;
  std::string since;
};

int run_list(const InboxOptions& o, Context& ctx) {
  std::vector<InboxItem> items;
  if (Store* store = ctx.existing_store()) {
    InboxFilter f;
    f.statuses = split_commas(o.statuses);
    if (f.statuses.empty() && !o.all) f.statuses = {"new", "read", "escalated"};
    for (auto& k : split_commas(o.kinds)) f.kinds.push_back(k == "comments" ? "comment" : k == "replies" ? "reply"
                                              : k == "mentions" ? "mention" : k == "dms" ? "dm" : k);
    if (!o.account.empty()) f.account_id = resolve_account(*store, o.account).id;
    f.limit = o.limit;
    items = store->list_inbox(f);
  }
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : items) list.push_back(inbox_json(i, account_name(ctx, i.account_id)));
    ctx.print_json({{"items", list}});
    return 0;
  }
  if (items.empty()) {
    ctx.info("the inbox is empty" + std::string(o.all ? "" : " (crier poll fetches what is new)"));
    return 0;
  }
  Timestamp now = ctx.clock().now();
  Table t({"ID", "ACCOUNT", "KIND", "STATUS", "FROM", "WHEN", "TEXT"});
  for (const auto& i : items)
    t.add({std::to_string(i.id), label_of_account(ctx, i.account_id), i.kind, ctx.style().status(i.status),
           i.author, format_relative(i.created_at, now), i.text});
  ctx.print_table(t);
  return 0;
}

int run_search(const InboxOptions& o, Context& ctx) {
  std::string match = fts_all_words(o.text);
  if (match.empty())
    throw Error(ErrorKind::invalid_input, "the query has no words to search for", "crier inbox search \"refund\"");
  std::vector<InboxHit> hits;
  if (Store* store = ctx.existing_store()) {
    InboxFilter f;
    for (auto& k : split_commas(o.kinds)) f.kinds.push_back(k == "comments" ? "comment" : k == "replies" ? "reply"
                                              : k == "mentions" ? "mention" : k == "dms" ? "dm" : k);
    f.statuses = split_commas(o.statuses);
    if (!o.account.empty()) f.account_id = resolve_account(*store, o.account).id;
    if (!o.since.empty()) f.since = ctx.clock().now() - parse_duration(o.since);
    f.limit = o.limit;
    hits = store->search_inbox(match, f);
  }
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : hits) {
      auto j = inbox_json(h.item, account_name(ctx, h.item.account_id));
      j["reply_text"] = h.reply_text.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.reply_text);
      j["score"] = h.score;
      j["snippet"] = plain_snippet(h.snippet);
      list.push_back(j);
    }
    ctx.print_json({{"query", o.text}, {"items", list}});
    return 0;
  }
  if (hits.empty()) {
    ctx.info("nothing in the inbox matches");
    return exit_code::failure;
  }
  const Style& st = ctx.style();
  Timestamp now = ctx.clock().now();
  for (const auto& h : hits) {
    std::string snippet = show_snippet(ctx, h.snippet);
    ctx.out << st.bold(std::to_string(h.item.id)) << " " << label_of_account(ctx, h.item.account_id) << " "
            << h.item.kind << " " << st.status(h.item.status) << " " << terminal_safe(h.item.author) << " "
            << st.dim(format_relative(h.item.created_at, now)) << "\n    " << snippet << "\n";
  }
  return 0;
}

InboxItem find_item(Context& ctx, int64_t id) {
  auto item = ctx.store().find_inbox_item(id);
  if (!item) throw Error(ErrorKind::not_found, "no inbox item " + std::to_string(id), "see: crier inbox list");
  return *item;
}

int run_show(const InboxOptions& o, Context& ctx) {
  InboxItem i = find_item(ctx, o.id);
  if (i.status == "new") {
    ctx.store().set_inbox_status(i.id, "read");
    i.status = "read";
  }
  std::string acct = account_name(ctx, i.account_id);
  if (ctx.global().json) {
    ctx.print_json(inbox_json(i, acct));
    return 0;
  }
  ctx.out << ctx.style().bold(i.kind + " " + std::to_string(i.id)) << " on " << acct << " (" << i.status << ")\n";
  ctx.out << "from:  " << i.author << (i.author_name.empty() ? "" : " (" + i.author_name + ")") << '\n';
  ctx.out << "when:  " << show_time(ctx, i.created_at) << '\n';
  if (i.delivery_id) ctx.out << "about: delivery " << *i.delivery_id << '\n';
  if (!i.url.empty()) ctx.out << "url:   " << i.url << '\n';
  ctx.out << '\n' << i.text << '\n';
  if (i.status != "replied") ctx.out << '\n' << ctx.style().dim("answer: crier inbox reply " + std::to_string(i.id) + " \"...\"") << '\n';
  return 0;
}

int run_reply(const InboxOptions& o, Context& ctx) {
  find_item(ctx, o.id);  // a clear error for an unknown id before reading stdin
  std::string text = read_text_arg(ctx, o.text);
  ReplyOutcome r = reply_to_item(ctx.engine(), o.id, text, o.human_agent);
  if (ctx.global().json) {
    auto j = inbox_json(r.item, account_name(ctx, r.item.account_id));
    j["reply"] = {{"remote_id", r.sent.remote_id}, {"url", r.sent.url}};
    ctx.print_json(j);
  } else {
    ctx.info("replied to " + std::to_string(o.id) + ": " + r.sent.url);
  }
  return 0;
}

int run_hide(const InboxOptions& o, Context& ctx) {
  InboxItem i = hide_item(ctx.engine(), o.id, !o.undo);
  if (ctx.global().json)
    ctx.print_json({{"id", i.id}, {"hidden", !o.undo}, {"status", i.status}});
  else
    ctx.info("inbox item " + std::to_string(i.id) + (o.undo ? " is shown again on the network (now read)"
                                                             : " is hidden on the network (now ignored)"));
  return 0;
}

int run_set_status(const InboxOptions& o, Context& ctx, const std::string& status) {
  InboxItem i = find_item(ctx, o.id);
  ctx.store().set_inbox_status(i.id, status);
  if (ctx.global().json)
    ctx.print_json({{"id", i.id}, {"status", status}});
  else
    ctx.info("inbox item " + std::to_string(i.id) + " is now " + status);
  return 0;
}

}  // namespace

void add_inbox(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<InboxOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  auto add_filters = [o](CLI::App* c) {
    c->add_option("--status", o->statuses, "only these: new, read, replied, ignored, escalated, done");
    c->add_option("--kind", o->kinds, "only these: reply, comment, mention, quote, dm");
    c->add_option("--account", o->account, "only this account");
    c->add_flag("--all", o->all, "include replied, ignored and done items");
    c->add_option("--limit", o->limit, "at most N items (default 50; 0: all)")->check(CLI::NonNegativeNumber);
  };
  add_filters(cmd);
  cmd->callback([o, &selected] {
    if (!selected) selected = [o](Context& c) { return run_list(*o, c); };
  });
  auto* list = cmd->add_subcommand("list", "list inbox items, newest first (default: open ones)");
  add_filters(list);
  list->callback([o, &selected] { selected = [o](Context& c) { return run_list(*o, c); }; });

  auto* search = cmd->add_subcommand("search", "find items (and our answers) by their words, best first");
  search->add_option("query", o->text, "words that must all be there")->required();
  search->add_option("--account", o->account, "only this account");
  search->add_option("--kind", o->kinds, "only these: reply, comment, mention, quote, dm");
  search->add_option("--status", o->statuses, "only these statuses");
  search->add_option("--since", o->since, "only items of this window, e.g. 7d, 12h, 2w");
  search->add_option("--limit", o->limit, "at most N (default 50; 0: all)")->check(CLI::NonNegativeNumber);
  search->callback([o, &selected] { selected = [o](Context& c) { return run_search(*o, c); }; });

  auto* show = cmd->add_subcommand("show", "show one item in full and mark it read");
  show->add_option("id", o->id, "inbox item id")->required();
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });

  auto* reply = cmd->add_subcommand("reply", "answer an item: a reply in its thread, or a DM");
  reply->add_option("id", o->id, "inbox item id")->required();
  reply->add_option("text", o->text, "the answer, or - to read it from stdin")->required();
  reply->add_flag("--human-agent", o->human_agent,
                  "a person answers a DM after the 24-hour window (Meta's HUMAN_AGENT tag, up to 7 days)");
  reply->callback([o, &selected] { selected = [o](Context& c) { return run_reply(*o, c); }; });

  auto* hide = cmd->add_subcommand("hide", "hide a comment on our post from others, on its network");
  hide->add_option("id", o->id, "inbox item id")->required();
  hide->add_flag("--undo", o->undo, "show it again");
  hide->callback([o, &selected] { selected = [o](Context& c) { return run_hide(*o, c); }; });

  auto* ignore = cmd->add_subcommand("ignore", "mark an item ignored");
  ignore->add_option("id", o->id, "inbox item id")->required();
  ignore->callback([o, &selected] { selected = [o](Context& c) { return run_set_status(*o, c, "ignored"); }; });

  auto* done = cmd->add_subcommand("done", "mark an item done");
  done->add_option("id", o->id, "inbox item id")->required();
  done->callback([o, &selected] { selected = [o](Context& c) { return run_set_status(*o, c, "done"); }; });
}

}  // namespace crier
