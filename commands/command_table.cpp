#include "command_table.hpp"

#include <array>

#include "commands.hpp"

namespace crier {
namespace {
constexpr unsigned k_store = need_store;
constexpr unsigned k_net = need_store | need_network | need_account;
constexpr std::array k_commands{
    CommandInfo{"init", "write a commented config and create the database", k_store, &add_init},
    CommandInfo{"doctor", "check config, database, accounts, clock and LLM endpoint", k_store | need_network, &add_doctor},
    CommandInfo{"version", "print the version", need_nothing, &add_version},
    CommandInfo{"config", "read and change the configuration (get, set, path, edit)", need_nothing, &add_config},
    CommandInfo{"accounts", "connect and manage accounts (add, list, remove, check)", k_store | need_network, &add_accounts},
    CommandInfo{"draft", "write post variants with a language model, fitted to each network", k_store | need_network, &add_draft},
    CommandInfo{"drafts", "list, show, edit and remove drafts", k_store, &add_drafts},
    CommandInfo{"templates", "list and show prompt and post templates", need_nothing, &add_templates},
    CommandInfo{"post", "publish now to one or more accounts", k_net, &add_post},
    CommandInfo{"schedule", "queue a post for later (--at, --every, --next-slot)", k_store | need_account, &add_schedule},
    CommandInfo{"queue", "list, show, cancel, restore, retry and reschedule posts", k_store, &add_queue},
    CommandInfo{"slots", "posting slots per account, for --next-slot (set, list, clear)", k_store, &add_slots},
    CommandInfo{"publish", "publish what is due (for cron: publish --due; --watch keeps running)", k_net, &add_publish},
    CommandInfo{"cron", "print or install the crontab lines or systemd timers (show, install)", need_nothing, &add_cron},
    CommandInfo{"poll", "fetch replies, mentions and DMs into the inbox", k_net, &add_poll},
    CommandInfo{"inbox", "read and answer replies, mentions and DMs (list, show, reply)", k_store, &add_inbox},
    CommandInfo{"analytics", "take and show post and account metrics (refresh, summary)", k_store, &add_analytics},
    CommandInfo{"providers", "list the networks crier can post to", need_nothing, &add_providers},
    CommandInfo{"completion", "print a shell completion script (bash, zsh, fish)", need_nothing, &add_completion},
    CommandInfo{"demo", "a guided tour on the offline sandbox network", need_nothing, &add_demo},
};
}  // namespace

std::span<const CommandInfo> command_table() { return k_commands; }

}  // namespace crier
