#include "engine/composer.hpp"

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/accounts.hpp"
#include "error.hpp"
#include "media/media.hpp"
#include "store/store.hpp"

namespace crier {

std::string new_idempotency_key() {
  std::random_device rd;
  static const char* k_alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string key = "crier-";
  for (int i = 0; i < 24; ++i) key += k_alphabet[rd() % 36];
  return key;
}

std::vector<std::string> parts_for(const Post& post, const TextRules& rules) {
  if (!post.parts.empty()) return post.parts;
  if (post.thread && !check_length(post.text, rules).fits()) return split_for_thread(post.text, rules);
  return {post.text};
}

namespace {

const char* type_name(PostOption::Type t) {
  return t == PostOption::Type::boolean ? "true or false" : t == PostOption::Type::number ? "a number" : "text";
}

// --title and --opt, checked against what each target's network declares, before anything
// is written: an option goes to the targets that take it, and one that no target takes is a
// mistake (a typo, or the wrong --to).
void check_post_options(Engine& engine, const std::vector<Account>& accounts, const ComposeRequest& q) {
  for (const auto& [name, value] : q.options) {
    bool taken = false;
    std::string takers;
    for (const auto& a : accounts) {
      const ProviderInfo* info = find_provider(a.network);
      for (const auto& o : info ? info->post_options : std::span<const PostOption>{}) {
        if (o.name != name) continue;
        taken = true;
        bool ok = o.type == PostOption::Type::text ||
                  (o.type == PostOption::Type::boolean && (value == "true" || value == "false")) ||
                  (o.type == PostOption::Type::number && !value.empty() && value.size() < 16 &&
                   value.find_first_not_of("0123456789") == std::string::npos);
        if (!ok)
          throw Error(ErrorKind::usage, "--opt " + name + " takes " + type_name(o.type) + " on " + a.network + ", not '" +
                                            value + "'");
      }
    }
    if (!taken) {
      for (const auto& a : accounts) {
        const ProviderInfo* info = find_provider(a.network);
        std::string mine;
        for (const auto& o : info ? info->post_options : std::span<const PostOption>{})
          mine += (mine.empty() ? "" : ", ") + std::string(o.name);
        takers += (takers.empty() ? "" : "; ") + a.network + ": " + (mine.empty() ? "none" : mine);
      }
      throw Error(ErrorKind::usage, "--opt " + name + " is not an option of any target", "they take: " + takers);
    }
  }
  bool any_title = false;
  for (const auto& a : accounts) {
    const ProviderInfo* info = find_provider(a.network);
    Capabilities caps = engine.providers.get(a.network).capabilities();
    any_title = any_title || caps.title;
    if (caps.title_required && q.title.empty())
      throw Error(ErrorKind::usage, a.name() + " needs a title", "give one with --title TEXT");
    for (const auto& o : info ? info->post_options : std::span<const PostOption>{}) {
      if (!o.required) continue;
      bool given = std::any_of(q.options.begin(), q.options.end(), [&](const auto& kv) { return kv.first == o.name; });
      if (!given)
        throw Error(ErrorKind::usage, a.name() + " needs --opt " + std::string(o.name) + "=VALUE", std::string(o.help));
    }
  }
  if (!q.title.empty() && !any_title)
    throw Error(ErrorKind::usage, "--title: no target's posts have a title", "leave it out, or add a target that takes one");
}

}  // namespace

PostPlan plan_post(Engine& engine, const ComposeRequest& q) {
  std::string text = checked_text(q.text, "the text");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  PostPlan plan;
  plan.post.text = text;
  plan.post.thread = q.thread;
  for (size_t i = 0; i < q.parts.size(); ++i)
    plan.post.parts.push_back(checked_text(q.parts[i], "part " + std::to_string(i + 1) + " of the thread"));
  plan.post.origin = q.origin;
  if (!q.visibility.empty() && q.visibility != "public" && q.visibility != "unlisted" && q.visibility != "private" &&
      q.visibility != "direct")
    throw Error(ErrorKind::invalid_input, "unknown visibility '" + q.visibility + "'",
                "use public, unlisted, private or direct");
  if (!q.lang.empty() && (q.lang.size() > 35 || q.lang.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos))
    throw Error(ErrorKind::invalid_input, "'" + q.lang + "' is not a language tag", "e.g. --lang en or --lang pt-BR");
  nlohmann::json options = nlohmann::json::object();
  if (!q.lang.empty()) options["lang"] = q.lang;
  if (!q.visibility.empty()) options["visibility"] = q.visibility;
  if (!q.content_warning.empty()) options["content_warning"] = checked_text(q.content_warning, "the content warning");
  if (q.no_card) options["card"] = false;
  if (!q.title.empty()) options["title"] = checked_text(q.title, "the title");
  if (!q.options.empty()) {
    nlohmann::json opts = nlohmann::json::object();
    for (const auto& [k, v] : q.options) opts[k] = checked_text(v, "--opt " + k);
    options["opts"] = opts;
  }
  plan.post.options = options.dump();
  plan.post.created_at = engine.clock.now();
  for (size_t i = 0; i < q.images.size(); ++i)
    plan.post.media.push_back(
        inspect_image(q.images[i].path, checked_text(q.images[i].alt, "the alt text of image " + std::to_string(i + 1))));
  if (text.find_first_not_of(" \t\n\r") == std::string::npos && plan.post.media.empty())
    throw Error(ErrorKind::invalid_input, "nothing to post: the text is empty",
                "give the text as an argument, or - to read it from stdin");

  std::vector<std::string> too_long;  // every target over its limit is named, not just the first
  std::vector<Account> accounts = resolve_targets(engine.store, engine.config, q.to);
  check_post_options(engine, accounts, q);
  for (const auto& account : accounts) {
    Provider& provider = engine.providers.get(account.network);
    TargetPlan t{account, provider.text_rules(account), {}, {}};
    if (plan.post.media.empty() && t.rules.media_required)
      throw Error(ErrorKind::invalid_input, account.network + " posts need an image: a text-only post is not possible there",
                  "add --image FILE (with --alt TEXT), or leave " + account.name() + " out of --to");
    if (!plan.post.media.empty()) {
      if (!provider.capabilities().images)
        throw Error(ErrorKind::invalid_input, account.network + " does not take images",
                    "post the images elsewhere, or leave " + account.name() + " out of --to");
      check_media(plan.post.media, t.rules, account.network);
    }
    t.parts = parts_for(plan.post, t.rules);
    if (t.parts.size() > 1 && !provider.capabilities().threads)
      throw Error(ErrorKind::invalid_input, account.network + " cannot post threads",
                  "shorten the text for " + account.name());
    for (size_t i = 0; i < t.parts.size(); ++i) {
      if (t.rules.check_text) {
        std::string wrong = t.rules.check_text(t.parts[i]);
        if (!wrong.empty()) throw Error(ErrorKind::invalid_input, account.name() + ": " + wrong);
      }
      t.checks.push_back(check_length(t.parts[i], t.rules));
      if (!t.checks.back().fits()) {
        too_long.push_back(account.name() + " (" + (t.parts.size() > 1 ? "part " + std::to_string(i + 1) + ": " : "") +
                           t.checks.back().describe() + ")");
        break;
      }
    }
    plan.targets.push_back(std::move(t));
  }
  if (!too_long.empty()) {
    std::string list;
    for (size_t i = 0; i < too_long.size(); ++i)
      list += (i == 0 ? "" : i + 1 == too_long.size() ? " and " : ", ") + too_long[i];
    throw Error(ErrorKind::invalid_input, "text too long for " + list,
                q.thread ? "shorten the text" : "shorten it, or add --thread to post it as a thread");
  }
  return plan;
}

std::vector<Delivery> enqueue_post(Engine& engine, PostPlan& plan, const std::vector<Timestamp>& due,
                                   const std::string& tz) {
  for (auto& m : plan.post.media) m = keep_media_copy(m, engine.data_dir / "media");
  auto options = nlohmann::json::parse(plan.post.options, nullptr, false);
  const nlohmann::json* opts = options.is_object() && options.contains("opts") ? &options["opts"] : nullptr;
  bool native = opts && opts->is_object() && opts->value(std::string(k_native_schedule_option), "") == "true";
  std::vector<Delivery> deliveries;
  Timestamp now = engine.clock.now();
  for (size_t i = 0; i < plan.targets.size(); ++i) {
    const auto& t = plan.targets[i];
    Delivery d;
    d.account_id = t.account.id;
    d.due_at = due.at(i);
    d.tz = tz;
    d.idempotency_key = new_idempotency_key();
    d.created_at = now;
    // The network's own scheduling, asked for and far enough ahead: handed over early.
    if (native)
      if (auto window = engine.providers.get(t.account.network).native_scheduling();
          window && d.due_at - now >= window->min_lead)
        d.native_lead = window->max_lead.count();
    deliveries.push_back(d);
  }
  engine.store.add_post(plan.post, deliveries);
  return deliveries;
}

}  // namespace crier
