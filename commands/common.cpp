#include "common.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <set>

#include "engine/assistant.hpp"
#include "engine/queue_refs.hpp"
#include "error.hpp"
#include "llm_setup.hpp"
#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "time/when.hpp"

namespace crier {

std::string read_text_arg(Context& ctx, const std::string& arg) {
  if (arg != "-") return arg;
  std::string text((std::istreambuf_iterator<char>(ctx.in)), std::istreambuf_iterator<char>());
  if (ctx.in.bad()) throw Error(ErrorKind::invalid_input, "cannot read stdin");
  return text;
}

std::string show_time(Context& ctx, std::optional<Timestamp> t) {
  if (!t) return "-";
  return format_local(*t, ctx.time_zone());
}

nlohmann::json time_json(std::optional<Timestamp> t) {
  if (!t) return nullptr;
  return format_utc(*t);
}

nlohmann::json account_json(const Account& a) {
  return {{"id", a.id},
          {"name", a.name()},
          {"network", a.network},
          {"handle", a.handle},
          {"server", a.server},
          {"alias", a.alias.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.alias)},
          {"status", a.status},
          {"created_at", time_json(a.created_at)}};
}

nlohmann::json delivery_json(const Delivery& d, const std::string& account) {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"id", d.id},
          {"post_id", d.post_id},
          {"account", account},
          {"status", to_string(d.status)},
          {"due_at", time_json(d.due_at)},
          {"attempts", d.attempts},
          {"next_attempt_at", time_json(d.next_attempt_at)},
          {"remote_id", opt(d.remote_id)},
          {"remote_url", opt(d.remote_url)},
          {"published_at", time_json(d.published_at)},
          {"last_error", opt(d.last_error)},
          {"last_error_kind", opt(d.last_error_kind)},
          {"outcome_unknown", d.outcome_unknown},
          {"parts", [&] {
             nlohmann::json parts = nlohmann::json::array();
             for (const auto& p : d.remote_parts) parts.push_back({{"remote_id", p.id}, {"url", opt(p.url)}});
             return parts;
           }()},
          {"schedule_id", d.schedule_id ? nlohmann::json(*d.schedule_id) : nlohmann::json(nullptr)}};
}

nlohmann::json labels_json(const std::string& triage) {
  auto j = triage.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(triage, nullptr, false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

nlohmann::json inbox_json(const InboxItem& i, const std::string& account) {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"id", i.id},
          {"account", account},
          {"kind", i.kind},
          {"status", i.status},
          {"remote_id", i.remote_id},
          {"thread_id", opt(i.thread_id)},
          {"in_reply_to", opt(i.parent_remote_id)},
          {"delivery_id", i.delivery_id ? nlohmann::json(*i.delivery_id) : nlohmann::json(nullptr)},
          {"author", i.author},
          {"author_name", opt(i.author_name)},
          {"text", i.text},
          {"url", opt(i.url)},
          {"created_at", time_json(i.created_at)},
          {"reply_remote_id", opt(i.reply_remote_id)},
          {"labels", labels_json(i.triage)}};
}

// What happened to a target that was not published now, and what happens next - never "run
// the post again", which would post twice to the targets that did go out.
void report_not_published(Context& ctx, const DeliveryOutcome& out) {
  std::string ref = ref_for(ctx.store(), out.delivery);
  std::string next = "crier publish --due sends it, or cron does; crier queue show " + ref;
  if (out.result == "retry" || out.result == "waiting" || out.result == "lost_lease") {
    Timestamp at = out.delivery.next_attempt_at.value_or(ctx.clock().now());
    ctx.err << "crier: " << out.account << ": not published yet: " << out.error << "\n"
            << "  queued to retry " << (at > ctx.clock().now() ? "at " + show_time(ctx, at) : std::string("now"))
            << " (" << next << ")\n";
    return;
  }
  if (out.result == "paused") {
    ctx.err << "crier: error: " << out.account << ": " << out.error << " (the post waits in the queue)\n";
    if (!out.hint.empty()) ctx.err << "hint: " << out.hint << '\n';
    return;
  }
  ctx.err << "crier: error: " << out.account << ": " << out.error << " (" << out.result << ")\n";
  ctx.err << "hint: " << (out.hint.empty() ? "see: crier queue show " + ref : out.hint)
          << (out.result == "dead" ? "; crier queue retry " + ref + " tries it again" : "") << '\n';
}

void warn_token_expiry(const PublishReport& report) {
  std::set<std::string> said;
  for (const auto& out : report.outcomes)
    if (!out.warning.empty() && said.insert(out.account).second) spdlog::warn("{}", out.warning);
}

std::string show_snippet(Context& ctx, const std::string& snippet) {
  std::string out, piece;
  for (char c : snippet) {
    if (c == '\x02' || c == '\x03') {
      out += c == '\x03' ? ctx.style().bold(terminal_safe(piece)) : terminal_safe(piece);
      piece.clear();
    } else {
      piece += c == '\n' ? ' ' : c;
    }
  }
  return out + terminal_safe(piece);
}

std::string plain_snippet(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\x02'), s.end());
  s.erase(std::remove(s.begin(), s.end(), '\x03'), s.end());
  return s;
}

std::string label_of_account(Context& ctx, int64_t id) {
  auto a = ctx.store().find_account(id);
  return a ? short_label(ctx.store(), *a) : "?";
}

std::string account_name(Context& ctx, int64_t id) {
  auto a = ctx.store().find_account(id);
  return a ? a->name() : "?";
}

std::string edit_text(const std::string& text, const std::string& what) {
  const char* editor = std::getenv("VISUAL");
  if (!editor || !*editor) editor = std::getenv("EDITOR");
  std::string ed = editor && *editor ? editor : "vi";
  std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("crier-" + what + "-" + std::to_string(::getpid()) + ".txt");
  write_file_atomic(tmp, text);
  ProcessOptions po;
  po.capture = false;
  auto r = run_process({"/bin/sh", "-c", ed + " \"$1\"", "sh", tmp.string()}, po);
  std::string edited = read_file(tmp);
  std::filesystem::remove(tmp);
  if (r.exit_code != 0)
    throw Error(ErrorKind::invalid_input,
                "the editor exited " + std::to_string(r.exit_code) + "; the " + what + " is unchanged");
  while (!edited.empty() && (edited.back() == '\n' || edited.back() == '\r')) edited.pop_back();
  return edited;
}

std::filesystem::path user_templates() {
  return config_dir() / "templates";
}

TriageOutcome run_triage_items(Context& ctx, const TriageOptions& options, bool rules_only,
                               const std::string& model_flag) {
  if (rules_only) return triage_items(ctx.engine(), nullptr, user_templates(), options);
  return with_model(ctx, model_flag, [&](LlmBackend& llm) {
    return triage_items(ctx.engine(), &llm, user_templates(), options);
  });
}

}  // namespace crier
