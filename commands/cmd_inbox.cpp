// crier inbox [list|search|show|suggest|reply|triage|summary|hide|ignore|done]
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/assistant.hpp"
#include "engine/inbox.hpp"
#include "error.hpp"
#include "kb/knowledge_base.hpp"
#include "llm_setup.hpp"
#include "log.hpp"
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
  std::vector<std::string> labels;
  bool urgent = false;
  bool untriaged = false;
  int suggestion = 0;
  bool edit = false;
  int variants = 1;
  std::string tone;
  std::string model;
  bool again = false;
  bool rules_only = false;
  int batch = 10;
  int triage_limit = 0;
  std::string thread;
};

nlohmann::json suggestion_json(const Suggestion& g);

std::vector<std::string> kinds_of(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (auto& k : split_commas(given))
    out.push_back(k == "comments"   ? "comment"
                  : k == "replies"  ? "reply"
                  : k == "mentions" ? "mention"
                  : k == "dms"      ? "dm"
                                    : k);
  return out;
}

// "question", "complaint!" (urgent), "" when not triaged.
std::string label_cell(const InboxItem& i) {
  auto l = labels_json(i.triage);
  if (l.is_null()) return "";
  std::string intent = l.value("intent", "");
  if (intent.empty()) intent = "?";
  return intent + (l.value("urgency", "") == "high" ? "!" : "");
}

int run_list(const InboxOptions& o, Context& ctx) {
  std::vector<InboxItem> items;
  if (Store* store = ctx.existing_store()) {
    InboxFilter f;
    f.statuses = split_commas(o.statuses);
    if (f.statuses.empty() && !o.all) f.statuses = {"new", "read", "escalated"};
    f.kinds = kinds_of(o.kinds);
    f.intents = split_commas(o.labels);
    f.urgent = o.urgent;
    f.untriaged = o.untriaged;
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
  bool labelled =
      std::any_of(items.begin(), items.end(), [](const InboxItem& i) { return !i.triage.empty(); });
  std::vector<std::string> head = {"ID", "ACCOUNT", "KIND", "STATUS", "FROM", "WHEN", "TEXT"};
  if (labelled) head.insert(head.begin() + 4, "LABEL");
  Table t(head);
  for (const auto& i : items) {
    std::vector<std::string> row = {std::to_string(i.id),
                                    label_of_account(ctx, i.account_id),
                                    i.kind,
                                    ctx.style().status(i.status),
                                    i.author,
                                    format_relative(i.created_at, now),
                                    i.text};
    if (labelled) row.insert(row.begin() + 4, label_cell(i));
    t.add(row);
  }
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
    f.kinds = kinds_of(o.kinds);
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
  auto thread = item_thread(ctx.engine(), i);
  auto suggestions = ctx.store().suggestions(i.id);
  if (ctx.global().json) {
    auto j = inbox_json(i, acct);
    j["reply_text"] = i.reply_text.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.reply_text);
    j["thread"] = nlohmann::json::array();
    for (const auto& l : thread)
      if (!l.is_item) j["thread"].push_back(inbox_json(l.item, acct));
    j["suggestions"] = nlohmann::json::array();
    for (const auto& g : suggestions) j["suggestions"].push_back(suggestion_json(g));
    ctx.print_json(j);
    return 0;
  }
  const Style& st = ctx.style();
  Timestamp now = ctx.clock().now();
  ctx.out << st.bold(i.kind + " " + std::to_string(i.id)) << " on " << acct << " (" << i.status << ")\n";
  ctx.out << "from:  " << terminal_safe(i.author)
          << (i.author_name.empty() ? "" : " (" + terminal_safe(i.author_name) + ")") << '\n';
  ctx.out << "when:  " << show_time(ctx, i.created_at) << '\n';
  if (i.delivery_id) ctx.out << "about: delivery " << *i.delivery_id << '\n';
  if (!i.url.empty()) ctx.out << "url:   " << terminal_safe(i.url) << '\n';
  if (auto l = labels_json(i.triage); !l.is_null()) {
    std::string line = l.value("intent", "?");
    for (const char* k : {"sentiment", "urgency", "language"})
      if (l.contains(k) && l[k].is_string())
        line += ", " + std::string(k == std::string("urgency") ? "urgency " : "") + l[k].get<std::string>();
    if (l.contains("toxicity") && l["toxicity"].is_number())
      line += fmt::format(", toxicity {:.2f}", l["toxicity"].get<double>());
    std::string by = l.value("by", "");
    if (l.contains("model") && l["model"].is_string()) by += " " + l["model"].get<std::string>();
    ctx.out << "label: " << line << st.dim(" (" + by + ")") << '\n';
  }
  if (thread.size() > 1) {
    ctx.out << '\n' << st.bold("thread") << '\n';
    for (const auto& l : thread) {
      std::string mark = l.is_item ? st.bold("> ") : "  ";
      ctx.out << mark
              << st.dim("#" + std::to_string(l.item.id) + " " + format_relative(l.item.created_at, now))
              << " " << terminal_safe(l.item.author) << ": " << terminal_safe(l.item.text) << '\n';
      if (!l.item.reply_text.empty())
        ctx.out << "    " << st.dim("us:") << " " << terminal_safe(l.item.reply_text) << '\n';
    }
  }
  ctx.out << '\n' << terminal_safe(i.text) << '\n';
  if (!i.reply_text.empty())
    ctx.out << '\n' << st.dim("we answered:") << ' ' << terminal_safe(i.reply_text) << '\n';
  if (!suggestions.empty()) {
    ctx.out << '\n' << st.bold("suggested replies") << '\n';
    for (const auto& g : suggestions)
      ctx.out << "  [" << g.number << "] " << terminal_safe(g.text)
              << st.dim(fmt::format(" (confidence {:.2f})", g.confidence)) << '\n';
  }
  if (i.status != "replied") {
    std::string id = std::to_string(i.id);
    ctx.out << '\n'
            << st.dim(suggestions.empty()
                          ? "answer: crier inbox reply " + id + " \"...\", or crier inbox suggest " + id
                          : "answer: crier inbox reply " + id +
                                " --suggestion 1 [--edit], or crier inbox reply " + id + " \"...\"")
            << '\n';
  }
  return 0;
}

int run_reply(const InboxOptions& o, Context& ctx) {
  find_item(ctx, o.id);  // a clear error for an unknown id before reading stdin
  std::string id = std::to_string(o.id);
  std::string text;
  if (o.suggestion > 0) {
    if (!o.text.empty())
      throw Error(ErrorKind::usage, "give the answer or --suggestion N, not both",
                  "crier inbox reply " + id + " --suggestion " + std::to_string(o.suggestion) +
                      " --edit changes it first");
    PickedSuggestion picked = pick_suggestion(ctx.engine(), o.id, o.suggestion);
    text = picked.suggestion.text;
    for (const auto& stale : picked.stale_sources)
      ctx.err
          << "crier: warning: source " << stale
          << " changed or left the knowledge base since this was suggested; read the reply before it goes\n";
  } else {
    if (o.text.empty())
      throw Error(ErrorKind::usage, "what to answer: give the text, - for stdin, or --suggestion N",
                  "crier inbox reply " + id + " \"Thanks!\"; crier inbox suggest " + id);
    text = read_text_arg(ctx, o.text);
  }
  if (o.edit) {
    text = edit_text(text, "reply");
    if (trim_whitespace(text).empty())
      throw Error(ErrorKind::invalid_input, "the reply is empty; nothing was sent");
  }
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

nlohmann::json suggestion_json(const Suggestion& g) {
  auto sources = nlohmann::json::parse(g.sources, nullptr, false);
  return {{"number", g.number},
          {"text", g.text},
          {"confidence", g.confidence},
          {"grounded", g.grounded},
          {"sources", sources.is_array() ? sources : nlohmann::json::array()},
          {"model", g.model},
          {"template", g.template_version},
          {"created_at", time_json(g.created_at)}};
}

int run_suggest(const InboxOptions& o, Context& ctx) {
  find_item(ctx, o.id);
  SuggestRequest q;
  q.item_id = o.id;
  q.variants = o.variants;
  q.tone = o.tone;
  std::unique_ptr<Embedder> embedder = embedder_or_words(ctx);
  q.embedder = embedder.get();
  q.min_similarity = embedding_min_similarity(ctx);
  SuggestOutcome r = with_model(
      ctx, o.model, [&](LlmBackend& llm) { return suggest_replies(ctx.engine(), llm, user_templates(), q); });
  std::string id = std::to_string(o.id);
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : r.replies) {
      auto j = suggestion_json(s.suggestion);
      j["sent_text"] = s.sent_text;
      j["length"] = s.length;
      j["limit"] = s.limit;
      j["unit"] = s.unit;
      j["fits"] = s.fits;
      list.push_back(j);
    }
    ctx.print_json({{"item", inbox_json(r.item, account_name(ctx, r.item.account_id))},
                    {"answerable", r.answerable},
                    {"suggestions", list},
                    {"not_kept", r.refused},
                    {"calls", r.calls}});
    return 0;
  }
  const Style& st = ctx.style();
  for (const auto& p : r.refused) ctx.err << "crier: not kept: " << terminal_safe(p) << '\n';
  for (const auto& s : r.replies) {
    ctx.out << st.bold("[" + std::to_string(s.suggestion.number) + "]") << " "
            << terminal_safe(s.suggestion.text) << '\n';
    ctx.out << "    "
            << st.dim(fmt::format("confidence {:.2f} · {}/{} {} on {}{}", s.suggestion.confidence, s.length,
                                  s.limit, s.unit, r.network,
                                  s.sent_text != s.suggestion.text ? " (with the @mention it gets)" : ""))
            << '\n';
    for (const auto& src : s.sources)
      ctx.out << "    "
              << st.dim("[" + std::to_string(src.value("n", 0)) + "] " +
                        terminal_safe(src.value("citation", "")))
              << '\n';
    if (s.sources.empty()) ctx.out << "    " << st.dim("(no source: it states no facts)") << '\n';
  }
  if (!r.answerable)
    ctx.err << "crier: the knowledge base does not answer this; the suggestion says you will check (crier kb "
               "add FILE adds what it needs)\n";
  ctx.info("send one: crier inbox reply " + id + " --suggestion 1 (--edit to change it first)");
  return 0;
}

int run_triage(const InboxOptions& o, Context& ctx) {
  if (!ctx.existing_store()) {
    ctx.info("nothing to triage: the inbox is empty (crier poll fetches what is new)");
    return 0;
  }
  TriageOptions t;
  if (!o.account.empty()) t.account_id = resolve_account(ctx.store(), o.account).id;
  if (!o.since.empty()) t.since = ctx.clock().now() - parse_duration(o.since);
  t.again = o.again;
  t.batch = o.batch;
  t.limit = o.triage_limit > 0 ? o.triage_limit : 100000;
  bool progress = !ctx.global().json && !ctx.global().quiet && ::isatty(STDERR_FILENO) == 1;
  if (progress) t.on_status = [&](const std::string& what) { ctx.err << "crier: " << what << std::endl; };
  TriageOutcome r;
  try {
    r = run_triage_items(ctx, t, o.rules_only, o.model);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config) throw;
    throw Error(ErrorKind::config, e.what(),
                e.hint() + "; or label by the config's rules alone: crier inbox triage --rules-only");
  }
  int labelled = 0;
  for (const auto& x : r.results) labelled += x.labels.is_null() ? 0 : 1;
  int left = static_cast<int>(r.results.size()) - labelled;
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& x : r.results)
      list.push_back({{"id", x.item.id},
                      {"labels", x.labels},
                      {"error", x.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.error)}});
    ctx.print_json({{"items", list}, {"labelled", labelled}, {"unlabelled", left}, {"calls", r.calls}});
    return left == 0 ? 0 : exit_code::partial;
  }
  if (r.results.empty()) {
    ctx.info("nothing to triage: every item has its labels (--again labels them anew)");
    return 0;
  }
  Table tab({"ID", "ACCOUNT", "INTENT", "SENTIMENT", "URGENCY", "LANG", "TOXIC", "BY", "TEXT"});
  for (const auto& x : r.results) {
    const auto& l = x.labels;
    auto str = [&](const char* k) {
      return l.is_object() && l.contains(k) && l[k].is_string() ? l[k].get<std::string>() : std::string("-");
    };
    std::string tox = l.is_object() && l.contains("toxicity") && l["toxicity"].is_number()
                          ? fmt::format("{:.2f}", l["toxicity"].get<double>())
                          : "-";
    tab.add({std::to_string(x.item.id), label_of_account(ctx, x.item.account_id),
             l.is_null() ? ctx.style().dim("unlabelled") : str("intent"), str("sentiment"), str("urgency"),
             str("language"), tox, l.is_null() ? "-" : str("by"), x.item.text});
  }
  ctx.print_table(tab);
  for (const auto& x : r.results)
    if (!x.error.empty()) ctx.err << "crier: item " << x.item.id << " left unlabelled: " << x.error << '\n';
  ctx.info("labelled " + std::to_string(labelled) + " of " + std::to_string(r.results.size()) + " item" +
           (r.results.size() == 1 ? "" : "s") +
           (r.calls ? " (" + std::to_string(r.calls) + " model call" + (r.calls == 1 ? "" : "s") + ")" : "") +
           (left ? "; run crier inbox triage again for the rest" : ""));
  return left == 0 ? 0 : exit_code::partial;
}

int run_summary(const InboxOptions& o, Context& ctx) {
  int given = (o.id > 0) + !o.thread.empty();
  if (given > 1 || (given && !o.since.empty()))
    throw Error(ErrorKind::usage, "summarise one thing: an ITEM, --thread ID or --since WINDOW",
                "crier inbox summary --since 1d");
  SummaryRequest q;
  if (o.id > 0) q.item_id = o.id;
  q.thread_id = o.thread;
  if (!given) q.since = ctx.clock().now() - parse_duration(o.since.empty() ? "1d" : o.since);
  if (!ctx.existing_store())
    throw Error(ErrorKind::not_found, "nothing in the inbox to summarise", "crier poll fetches what is new");
  if (!o.account.empty()) q.account_id = resolve_account(ctx.store(), o.account).id;
  bool stream = !ctx.global().json;
  bool streamed = false;
  if (stream)
    q.on_text = [&](std::string_view piece) {
      streamed = true;
      ctx.out << terminal_safe(piece, false) << std::flush;
    };
  SummaryOutcome r = with_model(
      ctx, o.model, [&](LlmBackend& llm) { return summarize_inbox(ctx.engine(), llm, user_templates(), q); });
  if (ctx.global().json) {
    ctx.print_json({{"summary", r.text}, {"items", r.item_ids}, {"model", r.model}});
    return 0;
  }
  if (!streamed) ctx.out << terminal_safe(r.text);
  ctx.out << '\n';
  ctx.info(std::to_string(r.item_ids.size()) + " item" + (r.item_ids.size() == 1 ? "" : "s") +
           " summarised by " + r.model);
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
    c->add_option(
        "--label", o->labels,
        "only items triaged as these: question, support, complaint, praise, lead, spam, abuse, other");
    c->add_flag("--urgent", o->urgent, "only items triaged as urgent");
    c->add_flag("--untriaged", o->untriaged, "only items without labels yet");
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
  reply->add_option("text", o->text, "the answer, or - to read it from stdin");
  reply->add_option("--suggestion", o->suggestion, "send suggested reply N (crier inbox suggest)")
      ->check(CLI::PositiveNumber);
  reply->add_flag("--edit", o->edit, "open $EDITOR on the answer before it is sent");
  reply->add_flag("--human-agent", o->human_agent,
                  "a person answers a DM after the 24-hour window (Meta's HUMAN_AGENT tag, up to 7 days)");
  reply->callback([o, &selected] { selected = [o](Context& c) { return run_reply(*o, c); }; });

  auto* suggest =
      cmd->add_subcommand("suggest", "suggest replies from the knowledge base, with their sources");
  suggest->add_option("id", o->id, "inbox item id")->required();
  suggest->add_option("--variants", o->variants, "how many different replies (1 to 5, default 1)")
      ->check(CLI::Range(1, 5));
  suggest->add_option("--tone", o->tone, "how they sound: friendly, formal, playful, ...");
  suggest->add_option("--model", o->model, "PROVIDER:MODEL for this run (default: [llm] in the config)");
  suggest->callback([o, &selected] { selected = [o](Context& c) { return run_suggest(*o, c); }; });

  auto* triage =
      cmd->add_subcommand("triage", "label new items: intent, sentiment, urgency, language, toxicity");
  triage->add_option("--account", o->account, "only this account");
  triage->add_option("--since", o->since, "only items of this window, e.g. 1d, 12h");
  triage->add_flag("--again", o->again, "label items that have labels already");
  triage->add_flag("--rules-only", o->rules_only, "only the config's [triage.rules]; no model is asked");
  triage->add_option("--batch", o->batch, "items per model call (default 10)")->check(CLI::Range(1, 50));
  triage->add_option("--limit", o->triage_limit, "at most N items (default: all)")
      ->check(CLI::NonNegativeNumber);
  triage->add_option("--model", o->model, "PROVIDER:MODEL for this run (default: [llm] in the config)");
  triage->callback([o, &selected] { selected = [o](Context& c) { return run_triage(*o, c); }; });

  auto* summary = cmd->add_subcommand(
      "summary", "summarise a conversation or a period: themes, open questions, who waits");
  summary->add_option("item", o->id, "the conversation around this item");
  summary->add_option("--thread", o->thread, "the conversation with this thread id");
  summary->add_option("--since", o->since, "everything of this window (default 1d)");
  summary->add_option("--account", o->account, "only this account");
  summary->add_option("--model", o->model, "PROVIDER:MODEL for this run (default: [llm] in the config)");
  summary->callback([o, &selected] { selected = [o](Context& c) { return run_summary(*o, c); }; });

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
