// Accounts: naming, connecting and opening a session with stored credentials.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "provider/provider.hpp"
#include "store/types.hpp"

namespace crier {

// Finds an account by "network:handle", by alias, or by a bare network name when exactly
// one account is on that network. Throws Error(invalid_input) listing the accounts otherwise.
Account resolve_account(Store& store, const std::string& spec);

// The accounts a post goes to: `specs` (each may be comma-separated), else general.default_to,
// else the only account. Duplicates removed, order kept. Throws Error(invalid_input).
std::vector<Account> resolve_targets(Store& store, const Config& config,
                                     const std::vector<std::string>& specs);

struct AddAccountResult {
  Account account;
  bool reconnected = false;  // the account existed; its credentials were replaced
};
// Connects with the network and stores the account and its secret. Adding an account that
// exists reconnects it (new credentials, status active).
AddAccountResult add_account(Engine& engine, const std::string& network,
                             const ConnectRequest& request, const std::string& alias);

// The account with its credentials, ready for provider calls; refreshed credentials are saved.
// "reconnect: crier accounts add ..." for this account, as its provider says to connect it.
std::string reconnect_hint(const Account& account);

Session open_session(Engine& engine, const Account& account);

// A token that runs out (Meta's last about 60 days) and is less than a week from its end, which
// the provider could not refresh away: "the token of threads:me expires ... (in 3 days) and
// could not be refreshed; reconnect: ...". Empty when it does not run out or has time left.
// `expiry` gets "token expires ... (in N days)" whenever the token runs out at all.
std::string token_expiry_warning(Provider& provider, const Session& session, Timestamp now,
                                 std::string* expiry = nullptr);

}  // namespace crier
