#include "command_table.hpp"

#include <array>

#include "commands.hpp"

namespace crier {
namespace {
constexpr unsigned k_store = need_store;
constexpr unsigned k_net = need_store | need_network | need_account;
constexpr std::array k_commands{
    CommandInfo{"init", "write a commented config and create the database", k_store,
                "crier init\n"
                "crier --config ~/work/crier.toml init",
                &add_init},
    CommandInfo{"doctor", "check config, database, accounts, clock and LLM endpoint", k_store | need_network,
                "crier doctor\n"
                "crier doctor --json",
                &add_doctor},
    CommandInfo{"version", "print the version", need_nothing, "crier version", &add_version},
    CommandInfo{"config", "read and change the configuration (get, set, path, edit)", need_nothing,
                "crier config get --all\n"
                "crier config set general.timezone Europe/Berlin\n"
                "crier config path",
                &add_config},
    CommandInfo{
        "accounts", "connect and manage accounts (add, list, remove, check)", k_store | need_network,
        "crier accounts add sandbox --handle me\n"
        "crier accounts add mastodon --server fosstodon.org --alias masto --secret-stdin < token.txt\n"
        "crier accounts list",
        &add_accounts},
    CommandInfo{"draft", "write post variants with a language model, fitted to each network",
                k_store | need_network,
                "crier draft \"our meetup on Friday\" --for bluesky,mastodon --variants 3\n"
                "crier draft --template release --var project=crier --var version=2.1",
                &add_draft},
    CommandInfo{"drafts", "list, show, edit and remove drafts", k_store,
                "crier drafts list\n"
                "crier drafts show 1\n"
                "crier schedule draft:1 --at \"tomorrow 9am\"",
                &add_drafts},
    CommandInfo{"templates", "list and show prompt and post templates", need_nothing,
                "crier templates list\n"
                "crier templates show draft",
                &add_templates},
    CommandInfo{"post", "publish now to one or more accounts", k_net,
                "crier post \"Hello from the terminal\"\n"
                "crier post - --to masto,bsky --thread < essay.txt\n"
                "crier post \"Look\" --image cat.png --alt \"A cat asleep on a keyboard\"",
                &add_post},
    CommandInfo{"schedule", "queue a post for later (--at, --every, --next-slot)", k_store | need_account,
                "crier schedule \"Launch day!\" --at \"tomorrow 9am\"\n"
                "crier schedule \"Office hours at 4\" --every \"mon,wed,fri 09:00\" --until 2027-03-31\n"
                "crier schedule \"Weekly digest\" --every \"sun 18:00\" --to masto",
                &add_schedule},
    CommandInfo{"queue", "list, show, cancel, restore, retry and reschedule posts", k_store,
                "crier queue\n"
                "crier queue show 1\n"
                "crier queue cancel s1 && crier queue restore s1",
                &add_queue},
    CommandInfo{"slots", "posting slots per account, for --next-slot (set, list, clear)", k_store,
                "crier slots set masto \"mon-fri 09:00,13:00\"\n"
                "crier slots list",
                &add_slots},
    CommandInfo{"publish", "publish what is due (for cron: publish --due; --watch keeps running)", k_net,
                "crier publish --due\n"
                "crier publish --due --concurrency 16 --json",
                &add_publish},
    CommandInfo{"cron", "print or install the crontab lines or systemd timers (show, install)", need_nothing,
                "crier cron show\n"
                "crier cron install --systemd",
                &add_cron},
    CommandInfo{"poll", "fetch replies, mentions and DMs into the inbox", k_net,
                "crier poll\n"
                "crier poll --account masto --kind mentions\n"
                "crier poll --triage",
                &add_poll},
    CommandInfo{"inbox", "read, triage and answer replies, mentions and DMs (list, show, suggest, reply)",
                k_store,
                "crier inbox\n"
                "crier inbox show 1\n"
                "crier inbox reply 1 \"Thanks!\"\n"
                "crier inbox triage\n"
                "crier inbox list --label question --urgent\n"
                "crier inbox suggest 2 --variants 2\n"
                "crier inbox reply 2 --suggestion 1\n"
                "crier inbox summary --since 1d",
                &add_inbox},
    CommandInfo{"kb", "the knowledge base replies cite (add, list, show, rm, refresh, search)",
                k_store | need_network,
                "crier kb add ~/notes/faq.md ~/site/docs/\n"
                "crier kb search \"refund policy\"\n"
                "crier kb refresh",
                &add_kb},
    CommandInfo{"usage", "what the language model cost: calls, tokens and dollars by model, feature or day",
                k_store,
                "crier usage\n"
                "crier usage --since 7d --by day\n"
                "crier usage --by feature --json",
                &add_usage},
    CommandInfo{"analytics", "take and show post and account metrics (refresh, summary)", k_store,
                "crier analytics refresh\n"
                "crier analytics --since 7d",
                &add_analytics},
    CommandInfo{"providers", "list the networks crier can post to", need_nothing,
                "crier providers list\n"
                "crier providers --json",
                &add_providers},
    CommandInfo{"completion", "print a shell completion script (bash, zsh, fish)", need_nothing,
                "crier completion bash > crier.bash\n"
                "crier completion fish",
                &add_completion},
    CommandInfo{"demo", "a guided tour on the offline sandbox network", need_nothing, "crier demo",
                &add_demo},
};
}  // namespace

std::span<const CommandInfo> command_table() { return k_commands; }

}  // namespace crier
