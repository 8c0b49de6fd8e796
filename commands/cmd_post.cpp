// crier post (publish now) and crier schedule (publish later). Both plan the post first — every
// length, image and account checked — so a bad post fails before anything is stored or sent.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "engine/composer.hpp"
#include "engine/drafter.hpp"
#include "engine/publisher.hpp"
#include "engine/queue_refs.hpp"
#include "engine/schedules.hpp"
#include "time/recurrence.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/when.hpp"

#include <date/tz.h>

namespace crier {
namespace {

struct PostOptions {
  std::string text;
  std::vector<std::string> to;
  std::vector<std::string> images;
  std::vector<std::string> alts;
  bool thread = false;
  std::string lang, visibility, content_warning;
  std::string title;
  std::vector<std::string> opts;  // NAME=VALUE
  bool no_card = false;
  std::string at;
  bool dry_run = false;
  // schedule only
  std::string every, until;
  int count = 0;
  bool next_slot = false;
};

ComposeRequest compose_request(const PostOptions& o, Context& ctx) {
  if (o.alts.size() > o.images.size())
    throw Error(ErrorKind::usage, "more --alt than --image", "give one --alt after each --image");
  ComposeRequest q;
  if (o.text.rfind("draft:", 0) == 0) {
    // A draft written by crier draft: draft:12 is its chosen text (or thread), draft:12.2 its
    // second variant.
    std::string ref = o.text.substr(6);
    auto dot = ref.find('.');
    std::string id_text = ref.substr(0, dot), variant_text = dot == std::string::npos ? "" : ref.substr(dot + 1);
    auto digits = [](const std::string& t) {
      return !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(id_text) || (dot != std::string::npos && !digits(variant_text)))
      throw Error(ErrorKind::usage, "'" + o.text + "' is not a draft", "e.g. draft:12, or draft:12.2 for its second variant");
    int64_t id = std::stoll(id_text);
    auto d = ctx.existing_store() ? ctx.store().find_draft(id) : std::nullopt;
    if (!d) throw Error(ErrorKind::not_found, "no draft " + id_text, "see: crier drafts list");
    q.text = d->text;
    q.parts = d->parts;
    if (!variant_text.empty()) {
      auto variants = stored_variants(*d);
      size_t n = std::stoul(variant_text);
      if (n < 1 || n > variants.size())
        throw Error(ErrorKind::not_found, "draft " + id_text + " has no variant " + variant_text,
                    "it has " + count_of(static_cast<long long>(variants.size()), "variant", "variants") +
                        ": crier drafts show " + id_text);
      const auto& parts = variants[n - 1].parts;
      q.parts = parts.size() > 1 ? parts : std::vector<std::string>{};
      q.text.clear();
      for (const auto& p : parts) q.text += (q.text.empty() ? "" : "\n\n") + p;
    }
    q.origin = "drafted";
  } else {
    q.text = read_text_arg(ctx, o.text);
  }
  for (size_t i = 0; i < o.images.size(); ++i) {
    if (i >= o.alts.size())
      throw Error(ErrorKind::usage, "image '" + o.images[i] + "' has no alt text",
                  "describe it with --alt TEXT after the --image (or --alt \"\" to post it without)");
    q.images.push_back({o.images[i], o.alts[i]});
  }
  q.thread = o.thread;
  q.to = o.to;
  q.lang = o.lang;
  q.visibility = o.visibility;
  q.content_warning = o.content_warning;
  q.no_card = o.no_card;
  q.title = o.title;
  for (const auto& kv : o.opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::usage, "--opt takes NAME=VALUE, not '" + kv + "'", "e.g. --opt label=news");
    q.options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return q;
}

PostPlan plan(const PostOptions& o, Context& ctx) {
  ComposeRequest q = compose_request(o, ctx);
  if (ctx.existing_store() == nullptr)
    throw Error(ErrorKind::invalid_input, "there is no account to post to",
                "add one first: crier accounts add sandbox --handle me");
  return plan_post(ctx.engine(), q);
}

// The text as the network will show it (e.g. Bluesky's shortened links), which is what is sent.
std::string shown(const TargetPlan& t, size_t i) { return t.rules.displayed ? t.rules.displayed(t.parts[i]) : t.parts[i]; }

// When a dry run would have had it published: the time in the zone and in UTC, or the rule.
struct DryRunWhen {
  std::optional<Timestamp> at;
  std::string rule;  // for --every: the rule described
  bool next_slot = false;
};

int print_dry_run(const PostPlan& p, Context& ctx, const DryRunWhen& when = {}) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : p.targets) {
    nlohmann::json parts = nlohmann::json::array();
    for (size_t i = 0; i < t.parts.size(); ++i)
      parts.push_back({{"text", shown(t, i)},
                       {"length", t.checks[i].length},
                       {"limit", t.checks[i].limit},
                       {"unit", t.checks[i].unit},
                       {"bytes", t.checks[i].bytes},
                       {"fits", t.checks[i].fits()}});
    nlohmann::json images = nlohmann::json::array();
    for (const auto& m : p.post.media)
      images.push_back({{"path", m.path}, {"alt", m.alt}, {"mime", m.mime}, {"bytes", m.bytes}});
    targets.push_back({{"account", t.account.name()}, {"parts", parts}, {"images", images}});
  }
  if (ctx.global().json) {
    nlohmann::json j = {{"dry_run", true}, {"targets", targets}};
    if (when.at) j["due_at"] = format_utc(*when.at);
    if (!when.rule.empty()) j["rule"] = when.rule;
    ctx.print_json(j);
    return 0;
  }
  if (when.at)
    ctx.out << (when.rule.empty() ? "due " : "first ") << format_local(*when.at, ctx.time_zone()) << " ("
            << format_utc(*when.at) << ", " << format_relative(*when.at, ctx.clock().now()) << ")"
            << (when.rule.empty() ? "" : ", then " + when.rule) << '\n';
  if (when.next_slot) ctx.out << "due at each account's next free slot (crier slots list)\n";
  for (const auto& t : p.targets) {
    ctx.out << ctx.style().bold(t.account.name()) << '\n';
    for (size_t i = 0; i < t.parts.size(); ++i) {
      if (t.parts.size() > 1) ctx.out << "  part " << i + 1 << "/" << t.parts.size() << '\n';
      ctx.out << "  length " << t.checks[i].describe() << ", " << t.checks[i].bytes << " bytes\n";
      std::string indented = "  | ";
      for (char c : shown(t, i)) indented += c == '\n' ? std::string("\n  | ") : std::string(1, c);
      ctx.out << indented << '\n';
    }
    for (const auto& m : p.post.media)
      ctx.out << "  image " << m.path << " (" << m.mime << ", " << m.bytes << " bytes), alt: "
              << (m.alt.empty() ? "(none)" : "\"" + m.alt + "\"") << '\n';
  }
  ctx.err << "dry run: nothing was stored or sent\n";
  return 0;
}

bool asked_native(const Post& post) {
  auto options = nlohmann::json::parse(post.options, nullptr, false);
  if (!options.is_object() || !options.contains("opts") || !options["opts"].is_object()) return false;
  return options["opts"].value(std::string(k_native_schedule_option), "") == "true";
}

int run_schedule_at(Context& ctx, Timestamp due, PostPlan& p) {
  auto* tz = ctx.time_zone();
  auto deliveries = enqueue_post(ctx.engine(), p, std::vector<Timestamp>(p.targets.size(), due), std::string(tz->name()));
  Timestamp now = ctx.clock().now();
  // Deliveries for a network's own scheduling (--opt native_schedule=true) are handed over now
  // when their time is within its window; the rest wait in crier's queue.
  PublishReport handed;
  bool hand_now = std::any_of(deliveries.begin(), deliveries.end(), [&](const Delivery& d) {
    return d.native_lead && d.due_at - std::chrono::seconds{*d.native_lead} <= now;
  });
  if (hand_now) {
    PublishOptions po;
    po.post_id = p.post.id;
    ctx.progress("handing the post to the network's own scheduling…");
    handed = publish_due_now(ctx.engine(), po);
    ctx.progress("");
  }
  auto outcome_of = [&](const Delivery& d) -> const DeliveryOutcome* {
    for (const auto& o : handed.outcomes)
      if (o.delivery.id == d.id) return &o;
    return nullptr;
  };
  warn_token_expiry(handed);
  std::string id = std::to_string(p.post.id);
  nlohmann::json list = nlohmann::json::array();
  std::string who;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    const DeliveryOutcome* out = outcome_of(d);
    auto j = delivery_json(out ? out->delivery : d, p.targets[i].account.name());
    if (out) {
      j["result"] = out->result;
      j["native_schedule"] = out->native_schedule;
      if (!out->warning.empty()) j["warning"] = out->warning;
    }
    list.push_back(j);
    if (ctx.global().json) continue;
    std::string label = short_label(ctx.store(), p.targets[i].account);
    if (out && out->native_schedule) {
      ctx.info("handed post " + ref_for(ctx.store(), out->delivery) + " to " + label + "'s own scheduling: it goes out at " +
               format_local(due, tz) + " (" + format_relative(due, now) + ") " + out->delivery.remote_url);
    } else if (out) {
      report_not_published(ctx, *out);
    } else if (d.native_lead) {
      ctx.info("scheduled post " + ref_for(ctx.store(), d) + " for " + label + " at " + format_local(due, tz) + " (" +
               format_relative(due, now) + "); handed to its own scheduling from " +
               format_local(d.due_at - std::chrono::seconds{*d.native_lead}, tz) + " by crier publish --due");
    } else {
      who += (who.empty() ? "" : ", ") + label;
      if (asked_native(p.post) && ctx.providers().get(p.targets[i].account.network).native_scheduling())
        ctx.info(label + ": too soon for its own scheduling (it takes posts " +
                 std::to_string(ctx.providers().get(p.targets[i].account.network).native_scheduling()->min_lead.count() / 60) +
                 " minutes ahead at least); crier's queue publishes it at its time");
    }
  }
  if (ctx.global().json) {
    ctx.print_json({{"post_id", p.post.id}, {"due_at", format_utc(due)}, {"deliveries", list}});
  } else if (!who.empty()) {
    ctx.info("scheduled post " + id + " for " + who + " at " + format_local(due, tz) + " (" + format_relative(due, now) +
             "); see: crier queue show " + id);
  }
  return handed.exit_code();
}

int run_next_slot(Context& ctx, PostPlan& p) {
  // Each account gets its own first free slot.
  Timestamp now = ctx.clock().now();
  std::vector<Timestamp> due;
  for (const auto& t : p.targets) due.push_back(next_free_slot(ctx.engine(), t.account, now));
  auto deliveries = enqueue_post(ctx.engine(), p, due, std::string(ctx.time_zone()->name()));
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < deliveries.size(); ++i) {
    list.push_back(delivery_json(deliveries[i], p.targets[i].account.name()));
    if (!ctx.global().json)
      ctx.info("scheduled post " + ref_for(ctx.store(), deliveries[i]) + " for " + account_label(p.targets[i].account) +
               " at " + format_local(due[i], ctx.time_zone()) + " (next free slot, " + format_relative(due[i], now) +
               ")");
  }
  if (ctx.global().json) ctx.print_json({{"post_id", p.post.id}, {"deliveries", list}});
  return 0;
}

int run_post(const PostOptions& o, Context& ctx) {
  PostPlan p = plan(o, ctx);
  if (o.dry_run) return print_dry_run(p, ctx);
  Timestamp now = ctx.clock().now();
  if (o.at == "next-slot") return run_next_slot(ctx, p);
  if (!o.at.empty()) {
    Timestamp due = parse_when(o.at, now, ctx.time_zone());
    if (due > now) return run_schedule_at(ctx, due, p);
  }
  enqueue_post(ctx.engine(), p, std::vector<Timestamp>(p.targets.size(), now), std::string(ctx.time_zone()->name()));
  PublishOptions po;
  po.post_id = p.post.id;
  // Uploading images to a slow server can take a while: say what is going on.
  std::string to;
  for (const auto& t : p.targets) to += (to.empty() ? "" : ", ") + account_label(t.account);
  ctx.progress("publishing to " + to +
               (p.post.media.empty() ? "" : " (uploading " + count_of(static_cast<long long>(p.post.media.size()), "image", "images") + ")") + "…");
  PublishReport report = publish_due(ctx.engine(), po);
  ctx.progress("");

  nlohmann::json list = nlohmann::json::array();
  int ok = 0;
  std::optional<ErrorKind> first_error;
  warn_token_expiry(report);
  for (const auto& out : report.outcomes) {
    auto j = delivery_json(out.delivery, out.account);
    j["result"] = out.result;
    if (!out.warning.empty()) j["warning"] = out.warning;
    j["ref"] = ref_for(ctx.store(), out.delivery);
    list.push_back(j);
    if (out.result == "published") {
      ++ok;
      if (ctx.global().json) continue;
      const auto& parts = out.delivery.remote_parts;
      ctx.info("published " + out.account + " " + out.delivery.remote_url +
               (parts.size() > 1 ? " (a thread of " + std::to_string(parts.size()) + ")" : ""));
      for (size_t i = 1; i < parts.size(); ++i)
        ctx.info("  part " + std::to_string(i + 1) + "/" + std::to_string(parts.size()) + " " + parts[i].url);
      continue;
    }
    if (!first_error) first_error = out.error_kind.value_or(ErrorKind::internal);
    report_not_published(ctx, out);
  }
  if (ctx.global().json) ctx.print_json({{"post_id", p.post.id}, {"deliveries", list}});
  if (ok == static_cast<int>(report.outcomes.size())) return exit_code::ok;
  if (ok > 0) return exit_code::partial;
  auto all = [&](std::initializer_list<const char*> results) {
    return std::all_of(report.outcomes.begin(), report.outcomes.end(), [&](const DeliveryOutcome& d) {
      return std::any_of(results.begin(), results.end(), [&](const char* r) { return d.result == r; });
    });
  };
  if (all({"retry", "waiting", "lost_lease"})) return exit_code::temporary;
  if (all({"paused"})) return exit_code::auth;
  return exit_code_for(first_error.value_or(ErrorKind::internal));
}

int run_recurring(const PostOptions& o, Context& ctx, Timestamp start, PostPlan& p) {
  RecurringRequest q;
  q.rule = o.every;
  q.start = start;
  q.tz = ctx.time_zone();
  if (!o.until.empty()) q.until = parse_until(o.until, ctx.clock().now(), q.tz);
  if (o.count > 0) q.count = o.count;
  RecurringPlan r = schedule_recurring(ctx.engine(), p, q);
  std::string who;
  for (const auto& t : p.targets) who += (who.empty() ? "" : ", ") + account_label(t.account);
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < r.first.size(); ++i) list.push_back(delivery_json(r.first[i], p.targets[i].account.name()));
    ctx.print_json({{"schedule_id", r.schedule.id},
                    {"rule", parse_recurrence(o.every).to_rrule()},
                    {"timezone", r.schedule.tz},
                    {"first_at", format_utc(r.first_at)},
                    {"until", r.schedule.until ? nlohmann::json(format_utc(*r.schedule.until)) : nlohmann::json(nullptr)},
                    {"count", r.schedule.max_count ? nlohmann::json(*r.schedule.max_count) : nlohmann::json(nullptr)},
                    {"deliveries", list}});
    return 0;
  }
  std::string sref = "s" + std::to_string(r.schedule.id);
  ctx.info("scheduled " + sref + ": " + parse_recurrence(o.every).describe() + " (" + r.schedule.tz + ") for " + who +
           ", first post " + std::to_string(r.first.at(0).post_id) + " at " + format_local(r.first_at, ctx.time_zone()) +
           " (" + format_relative(r.first_at, ctx.clock().now()) + "); see it: crier queue show " + sref +
           ", stop it: crier queue cancel " + sref);
  return 0;
}

int run_schedule(const PostOptions& o, Context& ctx) {
  // Parse times and rules first: a bad date is reported before anything else is looked at.
  Timestamp now = ctx.clock().now();
  bool slot = o.next_slot || o.at == "next-slot";
  if (slot && !o.every.empty())
    throw Error(ErrorKind::usage, "--next-slot and --every do not go together",
                "a recurring post sets its own times with --every");
  if (!slot && o.at.empty() && o.every.empty())
    throw Error(ErrorKind::usage, "when? give --at WHEN, --every RULE or --next-slot",
                "e.g. --at 'tomorrow 9am', --every 'mon,wed,fri 18:30', --next-slot");
  if (o.every.empty() && (!o.until.empty() || o.count > 0))
    throw Error(ErrorKind::usage, "--until and --count go with --every");
  if (!o.every.empty()) {  // validated before planning
    Recurrence rule = parse_recurrence(o.every);
    // A rule without a time of day takes the first post's, which only --at can give: without
    // it, 'every tuesday' would post at whatever minute this command happened to run.
    if (rule.times.empty() && o.at.empty())
      throw Error(ErrorKind::invalid_input, "'" + o.every + "' has no time of day",
                  "add one, e.g. --every '" + o.every + " 09:00', or give the first time with --at 'tue 09:00'");
  }
  Timestamp due = now;
  if (!slot && !o.at.empty()) {
    due = parse_when(o.at, now, ctx.time_zone());
    if (due < now - std::chrono::minutes{1})
      throw Error(ErrorKind::invalid_input,
                  "'" + o.at + "' is in the past (" + format_local(due, ctx.time_zone()) + ")",
                  "give a future time, or use crier post to publish now");
  }
  if (!o.until.empty() && parse_until(o.until, now, ctx.time_zone()) <= std::max(due, now))
    throw Error(ErrorKind::invalid_input, "--until '" + o.until + "' is not after the start");
  PostPlan p = plan(o, ctx);
  if (o.dry_run) {
    DryRunWhen w;
    w.next_slot = slot;
    if (!slot) w.at = std::max(due, now);
    if (!o.every.empty()) {
      Recurrence rule = parse_recurrence(o.every);
      w.rule = rule.describe();
      w.at = next_occurrence(rule, std::max(due, now), ctx.time_zone(), std::max(due, now) - std::chrono::seconds{1});
    }
    return print_dry_run(p, ctx, w);
  }
  if (slot) return run_next_slot(ctx, p);
  if (!o.every.empty()) return run_recurring(o, ctx, std::max(due, now), p);
  return run_schedule_at(ctx, std::max(due, now), p);
}

void add_post_options(CLI::App* cmd, PostOptions& o) {
  cmd->add_option("text", o.text, "the text, - to read it from stdin, or draft:ID")->required();
  cmd->add_option("--to", o.to, "accounts (network:handle or alias), repeated or comma-separated");
  cmd->add_option("--image", o.images, "attach an image (JPEG, PNG, GIF, WebP); repeat for more");
  cmd->add_option("--alt", o.alts, "alt text for the image before it; one per --image");
  cmd->add_flag("--thread", o.thread, "split text that is too long into a thread");
  cmd->add_option("--lang", o.lang, "language of the text (BCP 47, e.g. en, pt-BR)");
  cmd->add_option("--visibility", o.visibility, "Mastodon: public, unlisted, private or direct");
  cmd->add_option("--cw", o.content_warning, "content warning shown before the text (Mastodon)");
  cmd->add_flag("--no-card", o.no_card, "no link preview card (for networks that build one from the first link)");
  cmd->add_option("--title", o.title, "the post's title, for networks whose posts have one");
  cmd->add_option("--opt", o.opts, post_option_help(false));
  cmd->add_flag("--dry-run", o.dry_run, "show what would be sent and its length per network; send nothing");
}

}  // namespace

// The options come from the provider table: what each network's posts take. External
// providers are asked only when --help is shown (asking starts them).
std::string post_option_help(bool external) {
  std::string takes;
  std::vector<const ProviderInfo*> infos;
  if (external)
    infos = every_provider();
  else
    for (const auto& info : provider_table()) infos.push_back(&info);
  for (const auto* info : infos) {
    std::string names;
    for (const auto& opt : info->post_options) names += (names.empty() ? "" : ", ") + std::string(opt.name);
    if (!names.empty()) takes += (takes.empty() ? "" : "; ") + std::string(info->name) + ": " + names;
  }
  return "a network's post option, NAME=VALUE (repeatable)" + (takes.empty() ? std::string() : "; " + takes);
}

void add_post(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<PostOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  add_post_options(cmd, *o);
  cmd->add_option("--at", o->at, "publish later instead: same as crier schedule --at WHEN");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_post(*o, c); }; });
}

void add_schedule(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<PostOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  add_post_options(cmd, *o);
  cmd->add_option("--at", o->at,
                  "when: '2026-12-01 09:00', ISO 8601, 'in 2h', 'tomorrow 9am', 'mon 10:00', next-slot");
  cmd->add_option("--every", o->every,
                  "repeat: 'daily 09:00', 'mon,wed,fri 18:30', 'monthly 1st', or an RRULE; --at is the start");
  cmd->add_option("--until", o->until, "with --every: no occurrence after WHEN");
  cmd->add_option("--count", o->count, "with --every: N occurrences in all")->check(CLI::PositiveNumber);
  cmd->add_flag("--next-slot", o->next_slot, "the first free posting slot of each account (crier slots set)");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_schedule(*o, c); }; });
}

}  // namespace crier
