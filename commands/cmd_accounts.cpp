// crier accounts add|list|remove|check
#include <CLI/CLI.hpp>

#include <iostream>

#include <termios.h>
#include <unistd.h>

#include "commands.hpp"
#include "common.hpp"
#include "engine/accounts.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "process.hpp"
#include "redact.hpp"
#include "sign_in.hpp"

namespace crier {
namespace {

struct AccountsOptions {
  std::string network;
  std::string handle;
  std::string server;
  std::string alias;
  std::string page;
  std::string ig_user;
  bool secret_stdin = false;
  bool paste_code = false;
  bool no_browser = false;
  bool force = false;
  bool yes = false;
  std::vector<std::string> names;
};

int run_add(const AccountsOptions& o, Context& ctx) {
  ConnectRequest q{o.handle, o.server, ""};
  q.page = o.page;
  q.ig_user = o.ig_user;
  // Flags only some networks take: refused before anything is asked or sent.
  if (!o.page.empty() || !o.ig_user.empty()) {
    const ProviderInfo* info = find_provider(o.network);
    for (auto [flag, value] : {std::pair<std::string_view, const std::string*>{"--page", &o.page}, {"--ig-user", &o.ig_user}})
      if (info && !value->empty() && info->connect_flags.find(flag) == std::string_view::npos) {
        std::string takers;
        for (const auto& p : provider_table())
          if (p.connect_flags.find(flag) != std::string_view::npos) takers += (takers.empty() ? "" : ", ") + std::string(p.name);
        throw Error(ErrorKind::usage, std::string(flag) + " is not an option for " + o.network,
                    std::string(flag) + " picks an account for " + takers);
      }
  }
  // A secret from a command in the config ([accounts."NETWORK:HANDLE"] password_cmd), e.g. a
  // password manager, so it never sits in a file or the shell history.
  if (!o.secret_stdin && !o.handle.empty()) {
    std::string name = o.network + ":" + o.handle;
    for (const char* setting : {"password_cmd", "token_cmd"})
      if (auto cmd = ctx.config().account_value(name, setting); cmd && q.secret.empty())
        q.secret = secret_from_command(std::string(setting) + " of " + name, *cmd,
                                       std::chrono::seconds{ctx.config().get_int("general.command_timeout_seconds")});
  }
  bool terminal = ::isatty(STDIN_FILENO) == 1 && &ctx.in == &std::cin;
  if (q.secret.empty() && !o.secret_stdin && terminal) {
    q.ask_secret = [&ctx](const std::string& prompt) {
      ctx.err << prompt << std::flush;
      termios old {};
      bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
      if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
      }
      std::string answer;
      std::getline(ctx.in, answer);
      if (tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
      ctx.err << '\n';
      remember_secret(answer);
      return answer;
    };
  }
  // Browser sign-in (OAuth): with someone at the terminal, or a browser to send there.
  SignInOptions so{o.paste_code, !o.no_browser, terminal};
  if (o.paste_code && !terminal)
    throw Error(ErrorKind::usage, "--paste-code needs a terminal to paste into",
                "run it in a terminal, or pipe a token in with --secret-stdin");
  TerminalSignIn sign_in(ctx.err, ctx.in, so);
  if (q.secret.empty() && !o.secret_stdin && TerminalSignIn::possible(so)) q.sign_in = &sign_in;
  if (o.secret_stdin) {
    std::getline(ctx.in, q.secret);
    while (!q.secret.empty() && (q.secret.back() == '\r' || q.secret.back() == ' ')) q.secret.pop_back();
    if (q.secret.empty())
      throw Error(ErrorKind::invalid_input, "--secret-stdin given but stdin was empty");
  }
  ctx.providers().get(o.network);  // unknown network: fail before touching the store
  auto r = add_account(ctx.engine(), o.network, q, o.alias);
  if (ctx.global().json) {
    auto j = account_json(r.account);
    j["reconnected"] = r.reconnected;
    ctx.print_json(j);
  } else {
    ctx.info((r.reconnected ? "reconnected " : "added ") + r.account.name() +
             (r.account.alias.empty() ? "" : " (alias " + r.account.alias + ")"));
  }
  return 0;
}

int run_list(Context& ctx) {
  std::vector<Account> accounts;
  if (Store* s = ctx.existing_store()) accounts = s->list_accounts();
  if (ctx.global().json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : accounts) list.push_back(account_json(a));
    ctx.print_json({{"accounts", list}});
    return 0;
  }
  if (ctx.global().quiet) {  // names only, for scripts and shell completion
    for (const auto& a : accounts) ctx.out << a.name() << '\n';
    return 0;
  }
  if (accounts.empty()) {
    ctx.out << "no accounts yet; try: crier accounts add sandbox --handle me\n";
    return 0;
  }
  Table t({"ACCOUNT", "ALIAS", "STATUS", "SERVER", "ADDED"});
  t.shrink_first(3);
  for (const auto& a : accounts)
    t.add({a.name(), a.alias.empty() ? "-" : a.alias, ctx.style().status(a.status),
           a.server.empty() ? "-" : a.server, show_time(ctx, a.created_at)});
  ctx.print_table(t);
  return 0;
}

int run_remove(const AccountsOptions& o, Context& ctx) {
  Account a = resolve_account(ctx.store(), o.names.at(0));
  DeliveryFilter f;
  f.account_id = a.id;
  f.statuses = {DeliveryStatus::queued, DeliveryStatus::publishing};
  auto pending = ctx.store().list_deliveries(f);
  if (!pending.empty() && !o.force)
    throw Error(ErrorKind::invalid_input, a.name() + " has " + count_of(static_cast<long long>(pending.size()),
                                                                        "queued post", "queued posts"),
                "cancel them (crier queue cancel REF) or remove anyway with --force");
  // Say what goes with it, and ask (or, in a script, want --yes): there is no undo.
  DeliveryFilter all;
  all.account_id = a.id;
  InboxFilter inbox;
  inbox.account_id = a.id;
  std::string what = a.name() + " with its " +
                     count_of(static_cast<long long>(ctx.store().list_deliveries(all).size()), "post", "posts") + ", " +
                     count_of(static_cast<long long>(ctx.store().list_inbox(inbox).size()), "inbox item", "inbox items") +
                     ", metrics and credentials";
  if (!o.yes) {
    bool terminal = ::isatty(STDIN_FILENO) == 1 && &ctx.in == &std::cin;
    if (!terminal)
      throw Error(ErrorKind::usage, "removing " + what + " cannot be undone", "add --yes to remove it");
    ctx.err << "remove " << what << "? This cannot be undone. [y/N] " << std::flush;
    std::string answer;
    std::getline(ctx.in, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      ctx.info("kept " + a.name());
      return exit_code::failure;
    }
  }
  ctx.store().remove_account(a.id);
  if (ctx.global().json)
    ctx.print_json({{"removed", a.name()}, {"cancelled_deliveries", pending.size()}});
  else
    ctx.info("removed " + what);
  return 0;
}

int run_check(const AccountsOptions& o, Context& ctx) {
  std::vector<Account> accounts;
  if (o.names.empty()) {
    if (Store* s = ctx.existing_store()) accounts = s->list_accounts();
  } else {
    for (const auto& n : o.names) accounts.push_back(resolve_account(ctx.store(), n));
  }
  nlohmann::json list = nlohmann::json::array();
  Table t({"ACCOUNT", "CHECK", "DETAIL"});
  int failed = 0;
  std::optional<ErrorKind> first_kind;
  std::vector<std::string> hints;
  for (const auto& a : accounts) {
    std::string status = "ok", detail, hint;
    try {
      Session s = open_session(ctx.engine(), a);
      ctx.providers().get(a.network).verify(s);
      if (a.status != "active") ctx.store().set_account_status(a.id, "active");
    } catch (const Error& e) {
      status = "error";
      detail = e.what();
      hint = e.hint();
      if (!hint.empty()) hints.push_back(hint);
      ++failed;
      if (!first_kind) first_kind = e.kind();
      if (e.kind() == ErrorKind::auth) ctx.store().set_account_status(a.id, "auth_failed");
    }
    list.push_back({{"account", a.name()},
                    {"ok", status == "ok"},
                    {"error", detail.empty() ? nlohmann::json(nullptr) : nlohmann::json(detail)},
                    {"hint", hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(hint)}});
    t.add({a.name(), ctx.style().status(status), detail.empty() ? "credentials work" : detail});
  }
  if (ctx.global().json)
    ctx.print_json({{"accounts", list}});
  else if (accounts.empty())
    ctx.out << "no accounts to check\n";
  else
    ctx.print_table(t);
  for (const auto& h : hints) ctx.err << "hint: " << h << '\n';
  if (failed == 0) return exit_code::ok;
  if (failed == static_cast<int>(accounts.size())) return exit_code_for(*first_kind);
  return exit_code::partial;
}

}  // namespace

void add_accounts(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<AccountsOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);

  auto* add = cmd->add_subcommand("add", "connect an account (adding one that exists reconnects it)");
  add->add_option("network", o->network, "network name (crier providers list)")->required();
  add->add_option("--handle", o->handle, "your handle on the network");
  add->add_option("--server", o->server, "server / instance URL, where the network has several");
  add->add_option("--alias", o->alias, "a short name to use in --to");
  add->add_option("--page", o->page, "the Facebook Page (name, username or id), where one token reaches several");
  add->add_option("--ig-user", o->ig_user, "the Instagram account linked to a Page (username or id), where there are several");
  add->add_flag("--secret-stdin", o->secret_stdin, "read the password or token from the first line of stdin");
  add->add_flag("--paste-code", o->paste_code, "OAuth: paste the code the network shows instead of a loopback redirect");
  add->add_flag("--no-browser", o->no_browser, "OAuth: print the sign-in address, do not open a browser");
  add->callback([o, &selected] { selected = [o](Context& c) { return run_add(*o, c); }; });

  auto* list = cmd->add_subcommand("list", "list accounts (-q: names only)");
  list->callback([&selected] { selected = run_list; });

  auto* remove = cmd->add_subcommand("remove", "remove an account with its credentials, inbox and metrics");
  remove->add_option("account", o->names, "network:handle or alias")->required()->expected(1);
  remove->add_flag("--force", o->force, "remove even with queued posts (they are dropped)");
  remove->add_flag("-y,--yes", o->yes, "do not ask (needed when not on a terminal)");
  remove->callback([o, &selected] { selected = [o](Context& c) { return run_remove(*o, c); }; });

  auto* check = cmd->add_subcommand("check", "check that stored credentials still work");
  check->add_option("accounts", o->names, "accounts to check (default: all)");
  check->callback([o, &selected] { selected = [o](Context& c) { return run_check(*o, c); }; });
}

}  // namespace crier
