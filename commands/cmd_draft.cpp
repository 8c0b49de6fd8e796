// crier draft (write variants with a language model), crier drafts list|show|edit|rm, and
// crier templates list|show.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "engine/drafter.hpp"
#include "error.hpp"
#include "llm/templates.hpp"
#include "llm_setup.hpp"
#include "output/table.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

namespace fs = std::filesystem;

struct DraftOptions {
  std::string topic, from, url, tone, audience, lang, template_name = "draft", model;
  std::vector<std::string> for_networks, to, vars;
  int hashtags = 0, variants = 1, rounds = 3;
  bool thread = false, edit = false;
  int64_t id = 0;
  int limit = 20;
  std::string name;
};

std::vector<DraftTarget> targets_for(const DraftOptions& o, Context& ctx) {
  std::vector<DraftTarget> out;
  auto add_network = [&](const std::string& network) {
    for (const auto& t : out)
      if (t.network == network) return;
    Account a;
    a.network = network;
    out.push_back({network, ctx.providers().get(network).text_rules(a)});
  };
  for (const auto& list : o.for_networks)
    for (size_t p = 0; p <= list.size();) {
      size_t c = list.find(',', p);
      std::string n = list.substr(p, c == std::string::npos ? std::string::npos : c - p);
      if (!n.empty()) add_network(n);
      if (c == std::string::npos) break;
      p = c + 1;
    }
  if (!o.to.empty() || (out.empty() && ctx.existing_store() && !ctx.store().list_accounts().empty())) {
    for (const auto& a : resolve_targets(ctx.store(), ctx.config(), o.to)) {
      bool seen = false;
      for (const auto& t : out) seen = seen || t.network == a.name();
      if (!seen) out.push_back({a.name(), ctx.providers().get(a.network).text_rules(a)});
    }
  }
  if (out.empty())  // no accounts yet: every real network crier knows
    for (const auto& info : provider_table())
      if (info.name != "sandbox") add_network(std::string(info.name));
  return out;
}

// The variants as one file to edit: a line "--- variant N ---" before each, "---" between the
// parts of a thread; lines starting with "#" are notes and are dropped.
std::string variants_as_text(const std::vector<DraftVariant>& variants) {
  std::string t = "# Edit the variants below; lines starting with # are ignored.\n"
                  "# Each starts at its \"--- variant N ---\" line; in a thread, a line \"---\" separates parts.\n";
  for (size_t i = 0; i < variants.size(); ++i) {
    t += "--- variant " + std::to_string(i + 1) + " ---\n";
    for (size_t p = 0; p < variants[i].parts.size(); ++p) t += (p ? "---\n" : "") + variants[i].parts[p] + "\n";
  }
  return t;
}

std::vector<DraftVariant> variants_from_text(const std::string& text) {
  std::vector<DraftVariant> out;
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string part;
  auto end_part = [&] {
    std::string p = trim_whitespace(part);
    part.clear();
    if (p.empty()) return;
    if (out.empty()) out.emplace_back();
    out.back().parts.push_back(p);
  };
  for (const auto& l : lines) {
    if (!l.empty() && l[0] == '#') continue;
    if (l.rfind("--- variant ", 0) == 0) {
      end_part();
      if (out.empty() || !out.back().parts.empty()) out.emplace_back();
      continue;
    }
    if (trim_whitespace(l) == "---") {
      end_part();
      continue;
    }
    part += l + "\n";
  }
  end_part();
  out.erase(std::remove_if(out.begin(), out.end(), [](const DraftVariant& v) { return v.parts.empty(); }), out.end());
  return out;
}

nlohmann::json draft_json(const Draft& d) {
  auto opt = [](std::optional<int> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"id", d.id},          {"topic", d.topic},
          {"text", d.text},      {"parts", d.parts},
          {"variants", nlohmann::json::parse(d.variants)},
          {"template", d.template_name}, {"backend", d.backend},
          {"model", d.model},    {"prompt_tokens", opt(d.prompt_tokens)},
          {"completion_tokens", opt(d.completion_tokens)}, {"latency_ms", d.latency_ms},
          {"calls", d.calls},    {"created_at", time_json(d.created_at)},
          {"updated_at", time_json(d.updated_at)}};
}

void print_variants(Context& ctx, const std::vector<DraftVariant>& variants, int64_t id) {
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    std::string counts;
    for (const auto& c : v.counts)
      if (c["part"] == 1 || !c["fits"].get<bool>())
        counts += (counts.empty() ? "" : ", ") + c["network"].get<std::string>() + " " +
                  std::to_string(c["length"].get<size_t>()) + "/" + std::to_string(c["limit"].get<size_t>()) + " " +
                  c["unit"].get<std::string>() + (c["fits"].get<bool>() ? "" : " (too long)");
    ctx.out << ctx.style().bold("variant " + std::to_string(i + 1)) << "  draft:" << id << "." << i + 1 << "  " << counts
            << (v.shortened ? "  (shortened " + std::to_string(v.shortened) + "x)" : "") << '\n';
    for (size_t p = 0; p < v.parts.size(); ++p) {
      if (v.parts.size() > 1) ctx.out << "  part " << p + 1 << "/" << v.parts.size() << '\n';
      std::string indented = "  | ";
      for (char c : v.parts[p]) indented += c == '\n' ? std::string("\n  | ") : std::string(1, c);
      ctx.out << indented << '\n';
    }
  }
}

// After an edit: each target a variant no longer fits is said, with by how much.
void warn_misfits(Context& ctx, const std::vector<DraftVariant>& variants) {
  for (size_t i = 0; i < variants.size(); ++i)
    for (const auto& c : variants[i].counts)
      if (!c["fits"].get<bool>())
        ctx.err << "crier: warning: variant " << i + 1 << (variants[i].parts.size() > 1 ? ", part " + std::to_string(c["part"].get<int>()) : "")
                << " is too long for " << c["network"].get<std::string>() << ": " << c["length"].get<size_t>() << "/"
                << c["limit"].get<size_t>() << " " << c["unit"].get<std::string>() << " ("
                << c["length"].get<size_t>() - std::min(c["length"].get<size_t>(), c["limit"].get<size_t>()) << " over)\n";
}

// The networks a stored draft was fitted to, from its counts: accounts by name, networks by theirs.
std::vector<DraftTarget> targets_of(Context& ctx, const std::vector<DraftVariant>& variants) {
  std::vector<DraftTarget> out;
  for (const auto& v : variants)
    for (const auto& c : v.counts) {
      std::string n = c.value("network", "");
      if (n.empty() || std::any_of(out.begin(), out.end(), [&](const DraftTarget& t) { return t.network == n; })) continue;
      Account a;
      a.network = n.substr(0, n.find(':'));
      if (n.find(':') != std::string::npos && ctx.existing_store())
        if (auto found = ctx.store().find_account(a.network, n.substr(n.find(':') + 1))) a = *found;
      out.push_back({n, ctx.providers().get(a.network).text_rules(a)});
    }
  return out;
}

// Opens every variant in the editor, then counts them again for `targets` and saves them.
std::vector<DraftVariant> edit_variants(Context& ctx, Draft& d, const std::vector<DraftVariant>& before,
                                        const std::vector<DraftTarget>& targets) {
  auto after = variants_from_text(edit_text(variants_as_text(before)));
  if (after.empty()) throw Error(ErrorKind::invalid_input, "the edited draft has no text; draft " + std::to_string(d.id) + " is unchanged");
  for (auto& v : after) {
    for (auto& p : v.parts) p = checked_text(p, "the draft");
    count_variant(v, targets);
  }
  choose_text(d, after);
  d.variants = variants_json(after);
  ctx.store().update_draft(d.id, d.text, d.parts, d.variants, ctx.clock().now());
  return after;
}

int run_draft(const DraftOptions& o, Context& ctx) {
  DraftRequest q;
  q.topic = o.topic == "-" ? read_text_arg(ctx, "-") : o.topic;
  if (!o.from.empty()) q.source = o.from == "-" ? read_text_arg(ctx, "-") : read_file(o.from);
  if (!o.url.empty()) q.source += (q.source.empty() ? "" : "\n\n") + page_text(ctx.http(), ctx.clock(), o.url);
  q.tone = o.tone;
  q.audience = o.audience;
  q.lang = o.lang;
  q.hashtags = o.hashtags;
  q.variants = o.variants;
  q.max_rounds = o.rounds;
  q.thread = o.thread;
  q.template_name = o.template_name;
  for (const auto& v : o.vars) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(ErrorKind::usage, "--var takes NAME=VALUE, not '" + v + "'");
    q.vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  q.targets = targets_for(o, ctx);
  bool configured = llm_configured(ctx, o.model);
  LlmSettings settings = llm_settings(ctx, o.model);
  auto llm = make_llm_backend(ctx.http(), settings);
  // The variants' text as the model writes it, on a terminal (stderr, so stdout stays the
  // result), and what happens while nothing streams.
  bool stream = !ctx.global().json && !ctx.global().quiet && ::isatty(STDERR_FILENO) == 1;
  int shown_variant = 0, shown_part = 0;
  if (stream) {
    q.on_text = [&](int variant, int part, std::string_view s) {
      if (variant != shown_variant || part != shown_part) {
        ctx.err << (shown_variant ? "\n" : "") << ctx.style().dim("variant " + std::to_string(variant) +
                                                                  (part > 1 ? ", part " + std::to_string(part) : "") + ": ");
        shown_variant = variant;
        shown_part = part;
      }
      ctx.err << s << std::flush;
    };
    q.on_status = [&](const std::string& what) {
      ctx.err << (shown_variant ? "\n" : "") << "crier: " << what << std::endl;
      shown_variant = shown_part = 0;
    };
  }
  DraftOutcome r = with_llm(settings, configured, [&] { return write_draft(ctx.engine(), *llm, user_templates(), q); });
  if (stream && shown_variant) ctx.err << '\n';
  if (!r.short_by.empty()) ctx.err << "crier: warning: " << r.short_by << '\n';
  if (o.edit) {
    r.variants = edit_variants(ctx, r.draft, r.variants, q.targets);
    warn_misfits(ctx, r.variants);
  }
  if (ctx.global().json) {
    ctx.print_json(draft_json(*ctx.store().find_draft(r.draft.id)));
  } else {
    print_variants(ctx, r.variants, r.draft.id);
    ctx.info("saved draft " + std::to_string(r.draft.id) + " (" + r.draft.model + ", " + std::to_string(r.draft.calls) +
             " call" + (r.draft.calls == 1 ? "" : "s") + ", " + std::to_string(r.draft.latency_ms) +
             " ms): crier post draft:" + std::to_string(r.draft.id) + " or crier schedule draft:" +
             std::to_string(r.draft.id) + " --at WHEN");
  }
  bool any_fits = false;
  for (const auto& v : r.variants) any_fits = any_fits || v.fits;
  if (!any_fits) {
    ctx.err << "crier: error: no variant fits every network after " << o.rounds << " rounds of shortening\n"
            << "hint: edit it (crier drafts edit " << r.draft.id << "), or draft again with --thread\n";
    return exit_code::partial;
  }
  return exit_code::ok;
}

Draft must_find_draft(Context& ctx, int64_t id) {
  auto d = ctx.store().find_draft(id);
  if (!d) throw Error(ErrorKind::not_found, "no draft " + std::to_string(id), "see: crier drafts list");
  return *d;
}

int run_list(const DraftOptions& o, Context& ctx) {
  std::vector<Draft> drafts;
  if (Store* s = ctx.existing_store()) drafts = s->list_drafts(o.limit);
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : drafts) list.push_back(draft_json(d));
    ctx.print_json({{"drafts", list}});
    return 0;
  }
  if (drafts.empty()) {
    ctx.info("no drafts yet; try: crier draft \"what to post about\"");
    return 0;
  }
  Table t({"ID", "CREATED", "MODEL", "TEXT"});
  for (const auto& d : drafts) t.add({std::to_string(d.id), show_time(ctx, d.created_at), d.model, d.text});
  ctx.print_table(t);
  return 0;
}

int run_show(const DraftOptions& o, Context& ctx) {
  Draft d = must_find_draft(ctx, o.id);
  if (ctx.global().json) {
    ctx.print_json(draft_json(d));
    return 0;
  }
  ctx.out << "draft " << d.id << " on \"" << d.topic << "\"\n"
          << "model " << d.backend << ":" << d.model << ", template " << d.template_name << ", "
          << count_of(d.calls, "call", "calls") << ", " << d.latency_ms << " ms, tokens " << d.prompt_tokens.value_or(0)
          << " in / " << d.completion_tokens.value_or(0) << " out\n\n";
  auto variants = stored_variants(d);
  print_variants(ctx, variants, d.id);
  ctx.out << "\npost one: crier post draft:" << d.id << "." << 1 << " (draft:" << d.id
          << " is the first that fits everywhere)\n";
  return 0;
}

int run_edit(const DraftOptions& o, Context& ctx) {
  Draft d = must_find_draft(ctx, o.id);
  auto before = stored_variants(d);
  auto after = edit_variants(ctx, d, before, targets_of(ctx, before));
  print_variants(ctx, after, d.id);
  warn_misfits(ctx, after);
  ctx.info("saved draft " + std::to_string(d.id));
  return 0;
}

int run_rm(const DraftOptions& o, Context& ctx) {
  must_find_draft(ctx, o.id);
  ctx.store().remove_draft(o.id);
  if (ctx.global().json) ctx.print_json({{"removed", o.id}});
  else ctx.info("removed draft " + std::to_string(o.id));
  return 0;
}

int run_templates_list(Context& ctx) {
  auto all = list_templates(user_templates());
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : all) list.push_back({{"name", t.name}, {"origin", t.origin}});
    ctx.print_json({{"templates", list}});
    return 0;
  }
  if (ctx.global().quiet) {  // names only, for shell completion
    for (const auto& tpl : all) ctx.out << tpl.name << '\n';
    return 0;
  }
  Table t({"TEMPLATE", "FROM"});
  for (const auto& tpl : all) t.add({tpl.name, tpl.origin});
  ctx.print_table(t);
  return 0;
}

int run_templates_show(const DraftOptions& o, Context& ctx) {
  TemplateInfo t = load_template(o.name, user_templates());
  if (ctx.global().json) ctx.print_json({{"name", t.name}, {"origin", t.origin}, {"text", t.text}});
  else ctx.out << t.text;
  return 0;
}

}  // namespace

void add_draft(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<DraftOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("topic", o->topic, "what to post about, or - to read it from stdin");
  cmd->add_option("--from", o->from, "base the post on this file's text (- for stdin)");
  cmd->add_option("--url", o->url, "base the post on a web page's text (fetched: 10 s, 2 MB at most)");
  cmd->add_option("--for", o->for_networks, "networks to fit, comma-separated (crier providers list; default: your accounts')");
  cmd->add_option("--to", o->to, "accounts whose networks to fit");
  cmd->add_option("--tone", o->tone, "e.g. friendly, dry, excited");
  cmd->add_option("--audience", o->audience, "who it is for");
  cmd->add_option("--lang", o->lang, "language to write in (BCP 47)");
  cmd->add_option("--hashtags", o->hashtags, "how many hashtags (default none)")->check(CLI::Range(0, 10));
  cmd->add_option("--variants", o->variants, "how many variants (default 1)")->check(CLI::Range(1, 10));
  cmd->add_option("--template", o->template_name, "a post template (crier templates list)");
  cmd->add_option("--var", o->vars, "a template variable, NAME=VALUE (repeatable)");
  cmd->add_flag("--thread", o->thread, "a numbered thread instead of one post");
  cmd->add_option("--model", o->model, "PROVIDER:MODEL, e.g. openai:gpt-4o-mini, anthropic:..., ollama:llama3.2");
  cmd->add_option("--rounds", o->rounds, "shortening calls per part at most (default 3)")->check(CLI::Range(0, 10));
  cmd->add_flag("--edit", o->edit, "open $EDITOR on the result before saving");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_draft(*o, c); }; });
}

void add_drafts(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<DraftOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "list drafts, newest first");
  list->add_option("--limit", o->limit, "at most N (default 20; 0 all)");
  list->callback([o, &selected] { selected = [o](Context& c) { return run_list(*o, c); }; });
  auto* show = cmd->add_subcommand("show", "a draft with its model, tokens and latency");
  show->add_option("id", o->id, "draft id")->required();
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });
  auto* edit = cmd->add_subcommand("edit", "change a draft's text in $EDITOR");
  edit->add_option("id", o->id, "draft id")->required();
  edit->callback([o, &selected] { selected = [o](Context& c) { return run_edit(*o, c); }; });
  auto* rm = cmd->add_subcommand("rm", "delete a draft");
  rm->add_option("id", o->id, "draft id")->required();
  rm->callback([o, &selected] { selected = [o](Context& c) { return run_rm(*o, c); }; });
}

void add_templates(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<DraftOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "the shipped templates and your own");
  list->callback([&selected] { selected = run_templates_list; });
  auto* show = cmd->add_subcommand("show", "print a template");
  show->add_option("name", o->name, "template name")->required();
  show->callback([o, &selected] { selected = [o](Context& c) { return run_templates_show(*o, c); }; });
}

}  // namespace crier
