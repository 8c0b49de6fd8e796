#include "engine/accounts.hpp"

#include <algorithm>

#include "clock.hpp"
#include "config/config.hpp"
#include "error.hpp"
#include "process.hpp"
#include "provider/provider.hpp"
#include "redact.hpp"
#include "store/store.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

std::string known_accounts(Store& store) {
  std::string list;
  for (const auto& a : store.list_accounts()) {
    list += (list.empty() ? "" : ", ") + a.name();
    if (!a.alias.empty()) list += " (" + a.alias + ")";
  }
  return list;
}

}  // namespace

Account resolve_account(Store& store, const std::string& spec) {
  auto hint = [&] {
    std::string known = known_accounts(store);
    return known.empty() ? std::string("no accounts yet: crier accounts add sandbox --handle me")
                         : "accounts: " + known;
  };
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    if (auto a = store.find_account(spec.substr(0, colon), spec.substr(colon + 1))) return *a;
  }
  if (auto a = store.find_account_by_alias(spec)) return *a;
  std::vector<Account> on_network;
  for (auto& a : store.list_accounts())
    if (a.network == spec) on_network.push_back(a);
  if (on_network.size() == 1) return on_network.front();
  // A bare handle, when only one account has it.
  std::vector<Account> by_handle;
  if (on_network.empty())
    for (auto& a : store.list_accounts())
      if (a.handle == spec) by_handle.push_back(a);
  if (by_handle.size() == 1) return by_handle.front();
  if (on_network.size() > 1)
    throw Error(ErrorKind::invalid_input,
                "'" + spec + "' matches " + std::to_string(on_network.size()) + " accounts",
                "name one as network:handle; " + hint());
  throw Error(ErrorKind::invalid_input, "unknown account '" + spec + "'", hint());
}

std::vector<Account> resolve_targets(Store& store, const Config& config,
                                     const std::vector<std::string>& specs) {
  std::vector<std::string> names = split_commas(specs);
  if (names.empty()) names = split_commas({config.get("general.default_to")});
  std::vector<Account> out;
  if (names.empty()) {
    auto all = store.list_accounts();
    if (all.size() == 1) return all;
    if (all.empty())
      throw Error(ErrorKind::invalid_input, "there is no account to post to",
                  "add one first: crier accounts add sandbox --handle me");
    throw Error(ErrorKind::invalid_input, "say which accounts to post to",
                "use --to ACCOUNT[,ACCOUNT...] or set general.default_to; accounts: " +
                    known_accounts(store));
  }
  for (const auto& n : names) {
    Account a = resolve_account(store, n);
    if (std::none_of(out.begin(), out.end(), [&](const Account& b) { return b.id == a.id; }))
      out.push_back(a);
  }
  return out;
}

AddAccountResult add_account(Engine& engine, const std::string& network,
                             const ConnectRequest& request, const std::string& alias) {
  Provider& provider = engine.providers.get(network);
  remember_secret(request.secret);
  Connected c = provider.connect(request);
  remember_secrets_in(c.secret);
  if (auto existing = engine.store.find_account(network, c.handle)) {
    engine.store.set_secret(existing->id, c.secret, engine.clock.now());
    engine.store.set_account_status(existing->id, "active");
    existing->status = "active";
    return {*existing, true};
  }
  Account a;
  a.network = network;
  a.handle = c.handle;
  a.server = c.server;
  a.alias = alias;
  a.settings = c.settings;
  a.created_at = engine.clock.now();
  a.id = engine.store.add_account(a, c.secret);
  return {a, false};
}

std::string reconnect_hint(const Account& a) {
  const ProviderInfo* info = find_provider(a.network);
  std::string hint = info && !info->connect_hint.empty() ? std::string(info->connect_hint)
                                                         : "crier accounts add " + a.network + " --handle HANDLE";
  std::string server = a.server;
  if (auto p = server.find("://"); p != std::string::npos) server = server.substr(p + 3);
  // One pass over the hint: a handle that itself holds HANDLE or NAME is not replaced again.
  std::string out;
  for (size_t i = 0; i < hint.size();) {
    bool replaced = false;
    for (const auto& [word, value] : {std::pair<std::string_view, const std::string*>{"HANDLE", &a.handle},
                                      {"NAME", &a.handle}, {"INSTANCE", &server}})
      if (hint.compare(i, word.size(), word) == 0) {
        out += *value;
        i += word.size();
        replaced = true;
        break;
      }
    if (!replaced) out += hint[i++];
  }
  return "reconnect: " + out;
}

std::string token_expiry_warning(Provider& provider, const Session& session, Timestamp now, std::string* expiry) {
  auto expires = provider.token_expires_at(session);
  if (!expires) return "";
  auto days = std::chrono::duration_cast<std::chrono::hours>(*expires - now).count() / 24;
  std::string when = "token expires " + format_utc(*expires) + " (in " + std::to_string(days) +
                     (days == 1 ? " day)" : " days)");
  if (expiry) *expiry = when;
  if (*expires - now >= std::chrono::hours{24 * 7}) return "";
  return "the " + session.account.name() + " " + when + " and could not be refreshed; " +
         reconnect_hint(session.account);
}

Session open_session(Engine& engine, const Account& account) {
  Session s;
  s.account = account;
  // A token_cmd in the account's table is asked each time: the token need not be stored.
  for (const std::string& key : {account.name(), account.alias}) {
    if (key.empty()) continue;
    if (auto cmd = engine.config.account_value(key, "token_cmd")) {
      std::string token = secret_from_command("token_cmd of " + account.name(), *cmd,
                                              std::chrono::seconds{engine.config.get_int("general.command_timeout_seconds")});
      s.secret = engine.providers.get(account.network).secret_from_token(token);
      s.save_secret = [](const std::string&) {};
      return s;
    }
  }
  auto secret = engine.store.secret(account.id);
  if (!secret)
    throw Error(ErrorKind::auth, "no credentials stored for '" + account.name() + "'",
                reconnect_hint(account));
  s.secret = *secret;
  remember_secrets_in(s.secret);
  Store& store = engine.store;
  const Clock& clock = engine.clock;
  int64_t id = account.id;
  s.save_secret = [&store, &clock, id](const std::string& data) {
    remember_secrets_in(data);
    store.set_secret(id, data, clock.now());
  };
  return s;
}

}  // namespace crier
