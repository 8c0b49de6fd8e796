// crier doctor: checks what crier depends on and says what to fix.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <type_traits>

#include "commands.hpp"
#include "llm_setup.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "media/media_store.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "time/when.hpp"

#include <date/tz.h>

namespace crier {
namespace {

struct Check {
  std::string name;
  std::string status;  // ok | warning | error
  std::string detail;
};

Check check_config(Context& ctx) {
  try {
    Config& c = ctx.config();
    if (!c.file_exists())
      return {"config", "warning", "no file at " + c.path().string() + "; defaults in use (crier init writes one)"};
    if (!c.warnings().empty()) return {"config", "warning", c.warnings().front()};
    return {"config", "ok", c.path().string()};
  } catch (const Error& e) {
    return {"config", "error", e.what()};
  }
}

// A check that fails in a way nobody foresaw (a corrupt row, a bug) is reported as that check's
// error; doctor goes on with the others.
template <typename F>
auto guarded(const std::string& name, F&& check) -> decltype(check()) {
  try {
    return check();
  } catch (const std::exception& e) {
    if constexpr (std::is_same_v<decltype(check()), Check>)
      return Check{name, "error", e.what()};
    else
      return {Check{name, "error", e.what()}};
  }
}

Check check_store(Context& ctx) {
  try {
    auto path = ctx.db_path();
    Store* store = ctx.existing_store();
    if (store == nullptr) return {"database", "warning", "none yet at " + path.string() + " (crier init creates it)"};
    std::string integrity = store->integrity_check();
    if (integrity != "ok")
      return {"database", "error", "corrupt: " + integrity.substr(0, 200) + "; keep a copy of " + path.string() +
                                       " and restore a backup"};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return {"database", "error", path.string() + " is readable by others; run: chmod 600 " + path.string()};
    return {"database", "ok", path.string() + " (schema " + std::to_string(store->schema_version()) + ")"};
  } catch (const Error& e) {
    std::string what = e.what();
    bool corrupt = what.find("malformed") != std::string::npos || what.find("not a crier database") != std::string::npos;
    return {"database", "error", (corrupt ? "corrupt: " : "") + what};
  }
}

Check check_clock(Context& ctx) {
  try {
    auto* tz = ctx.time_zone();
    Timestamp now = ctx.clock().now();
    if (now < from_unix(1704067200))  // 2024-01-01
      return {"clock", "error", "the system clock says " + format_utc(now) + "; schedules would be wrong"};
    return {"clock", "ok", format_local(now, tz) + " (" + std::string(tz->name()) + ")"};
  } catch (const Error& e) {
    return {"clock", "error", e.what()};
  }
}

std::vector<Check> check_accounts(Context& ctx) {
  std::vector<Check> out;
  Store* store = nullptr;
  try {
    store = ctx.existing_store();
  } catch (const Error&) {
    return out;
  }
  if (store == nullptr) return out;
  auto accounts = store->list_accounts();
  if (accounts.empty()) out.push_back({"accounts", "warning", "none yet: crier accounts add sandbox --handle me"});
  for (const auto& a : accounts) {
    try {
      Session s = open_session(ctx.engine(), a);
      Provider& p = ctx.providers().get(a.network);
      p.verify(s);
      // Tokens that run out (Meta's last 60 days): when, and a warning from a week before.
      std::string expiry;
      std::string warning = token_expiry_warning(p, s, ctx.clock().now(), &expiry);
      if (!warning.empty())
        out.push_back({"account " + a.name(), "warning", "credentials work; " + warning});
      else
        out.push_back({"account " + a.name(), "ok", "credentials work" + (expiry.empty() ? "" : "; " + expiry)});
    } catch (const Error& e) {
      out.push_back({"account " + a.name(), "error", std::string(e.what()) + (e.hint().empty() ? "" : "; " + e.hint())});
    }
  }
  return out;
}

// The media store, when one is configured: its settings and whether the bucket answers.
std::optional<Check> check_media(Context& ctx) {
  if (ctx.config().get("media.store").empty()) return std::nullopt;
  try {
    auto store = make_media_store(ctx.config(), ctx.http(), ctx.clock());
    if (!store) return std::nullopt;
    return Check{"media store", "ok", store->check()};
  } catch (const Error& e) {
    return Check{"media store", "error", std::string(e.what()) + (e.hint().empty() ? "" : "; " + e.hint())};
  }
}

Check check_llm(Context& ctx) {
  try {
    // The model crier draft would use (backend, endpoint, model, key present) and whether its
    // server answers; the key itself is never shown.
    LlmSettings s = llm_settings(ctx, "");
    std::string endpoint = s.endpoint;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    HttpRequest q;
    q.url = s.backend == "ollama" ? endpoint.substr(0, endpoint.size() - (endpoint.ends_with("/v1") ? 3 : 0)) + "/api/tags"
                                  : endpoint;
    q.timeout = std::chrono::seconds{3};
    HttpResponse r = ctx.http().send(q);
    return {"llm", "ok", s.backend + ":" + s.model + " at " + endpoint + " answers (HTTP " + std::to_string(r.status) +
                             ")" + (s.api_key.empty() ? "" : ", key set")};
  } catch (const Error& e) {
    return {"llm", "warning",
            std::string(e.what()) + "; drafting needs a model: set llm.backend and llm.model (crier config set)"};
  }
}

int run_doctor(Context& ctx) {
  std::vector<Check> checks{guarded("config", [&] { return check_config(ctx); }),
                            guarded("database", [&] { return check_store(ctx); }),
                            guarded("clock", [&] { return check_clock(ctx); })};
  for (auto& c : guarded("accounts", [&] { return check_accounts(ctx); })) checks.push_back(c);
  if (auto media = check_media(ctx)) checks.push_back(*media);
  checks.push_back(guarded("llm", [&] { return check_llm(ctx); }));
  bool failed = std::any_of(checks.begin(), checks.end(), [](const Check& c) { return c.status == "error"; });
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : checks) list.push_back({{"check", c.name}, {"status", c.status}, {"detail", c.detail}});
    ctx.print_json({{"ok", !failed}, {"checks", list}});
  } else {
    Table t({"CHECK", "STATUS", "DETAIL"});
    for (const auto& c : checks) t.add({c.name, ctx.style().status(c.status), c.detail});
    ctx.print_table(t);
  }
  return failed ? exit_code::failure : exit_code::ok;
}

}  // namespace

void add_doctor(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->footer("Exit status: 0 when nothing is in error (warnings allowed), 1 otherwise.");
  cmd->callback([&selected] { selected = run_doctor; });
}

}  // namespace crier
