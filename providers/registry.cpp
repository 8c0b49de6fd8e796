// The one table of built-in providers. Adding a network: its folder under providers/, one row
// here (with its config options), one conformance test file, and its page in man/. Nothing in
// src/ or commands/ names a network.
#include <algorithm>
#include <array>

#include "error.hpp"
#include "provider/external.hpp"
#include "provider/provider.hpp"
#include "providers/bluesky/bluesky_provider.hpp"
#include "providers/facebook/facebook_provider.hpp"
#include "providers/instagram/instagram_provider.hpp"
#include "providers/mastodon/mastodon_provider.hpp"
#include "providers/reddit/reddit_provider.hpp"
#include "providers/sandbox/sandbox_provider.hpp"
#include "providers/threads/threads_provider.hpp"

namespace crier {
namespace {
constexpr std::array k_sandbox_keys{
    ConfigKey{"sandbox.seed", KeyType::integer, "42", "", "seed of the sandbox network's simulated followers", 0,
              4294967295LL},
    ConfigKey{"sandbox.speed", KeyType::integer, "1", "CRIER_SANDBOX_SPEED",
              "sandbox time multiplier: 60 makes a simulated hour pass in a real minute", 1, 100000},
};
constexpr std::array k_sandbox_options{
    PostOption{"label", PostOption::Type::text, false, "a label the sandbox keeps with the post"},
    PostOption{"pin", PostOption::Type::boolean, false, "pin the post to the profile (true or false)"},
};
constexpr std::array k_bluesky_keys{
    ConfigKey{"bluesky.chat_service", KeyType::string, "did:web:api.bsky.chat#bsky_chat", "CRIER_BLUESKY_CHAT",
              "service the PDS forwards Bluesky chat (DM) calls to, via the atproto-proxy header"},
};
constexpr std::array k_reddit_keys{
    ConfigKey{
        "reddit.client_id", KeyType::string, "", "CRIER_REDDIT_CLIENT_ID",
        "client id of your Reddit \"installed app\", for signing in with the browser (no password kept)"},
    ConfigKey{"reddit.redirect_port", KeyType::integer, "65010", "",
              "loopback port of the installed app's redirect URI, http://127.0.0.1:PORT/callback", 1024,
              65535},
};
constexpr std::array k_reddit_options{
    PostOption{"subreddit", PostOption::Type::text, true, "the subreddit to post to, e.g. test or r/test"},
    PostOption{"flair", PostOption::Type::text, false,
               "the post's flair, by its text (required where the subreddit says so)"},
    PostOption{"nsfw", PostOption::Type::boolean, false, "mark the post NSFW (true or false)"},
    PostOption{"spoiler", PostOption::Type::boolean, false, "mark the post a spoiler (true or false)"},
};
constexpr std::array k_facebook_options{
    PostOption{"native_schedule", PostOption::Type::boolean, false,
               "with --at: hand the post to Facebook's own scheduling (10 minutes to 28 days ahead), so it goes "
               "out at its time even if crier's machine is off"},
};
constexpr std::array k_threads_keys{
    ConfigKey{"threads.app_id", KeyType::string, "", "CRIER_THREADS_APP_ID",
              "your Meta app's id, for signing in with the browser (accounts add threads without a token)"},
    ConfigKey{"threads.app_secret_cmd", KeyType::string, "", "",
              "command that prints your Meta app's secret (needed with threads.app_id)"},
    ConfigKey{"threads.redirect_port", KeyType::integer, "65010", "",
              "loopback port of the redirect URI registered with the app, http://127.0.0.1:PORT/callback", 1024, 65535},
    ConfigKey{"threads.container_wait_seconds", KeyType::integer, "60", "CRIER_THREADS_CONTAINER_WAIT",
              "how long a publish waits for Threads to finish a container before leaving it for the next run", 0,
              3600},
    ConfigKey{"threads.inbox_days", KeyType::integer, "14", "",
              "replies are read from the conversations of posts this many days old or newer", 1, 365},
};
constexpr std::array k_instagram_keys{
    ConfigKey{"instagram.app_id", KeyType::string, "", "CRIER_INSTAGRAM_APP_ID",
              "your Meta app's id, for signing in with the browser (accounts add instagram without a token)"},
    ConfigKey{"instagram.app_secret_cmd", KeyType::string, "", "",
              "command that prints your Meta app's secret (needed with instagram.app_id)"},
    ConfigKey{"instagram.redirect_port", KeyType::integer, "65010", "",
              "loopback port of the redirect URI registered with the app, http://127.0.0.1:PORT/callback", 1024, 65535},
    ConfigKey{"instagram.container_wait_seconds", KeyType::integer, "60", "CRIER_INSTAGRAM_CONTAINER_WAIT",
              "how long a publish waits for Instagram to finish a container before leaving it for the next run", 0,
              3600},
    ConfigKey{"instagram.inbox_days", KeyType::integer, "14", "",
              "comments are read from posts this many days old or newer", 1, 365},
};
constexpr std::array k_facebook_keys{
    ConfigKey{"facebook.app_id", KeyType::string, "", "CRIER_FACEBOOK_APP_ID",
              "your Meta app's id, for signing in with the browser (accounts add facebook without a token)"},
    ConfigKey{"facebook.app_secret_cmd", KeyType::string, "", "",
              "command that prints your Meta app's secret (needed with facebook.app_id)"},
    ConfigKey{"facebook.redirect_port", KeyType::integer, "65010", "",
              "loopback port of the redirect URI registered with the app, http://127.0.0.1:PORT/callback", 1024, 65535},
    ConfigKey{"facebook.inbox_days", KeyType::integer, "14", "",
              "comments are read from the Page's posts this many days old or newer", 1, 365},
};
constexpr std::array k_providers{
    ProviderInfo{"sandbox", "a local, offline network with simulated followers, for trying crier",
                 &make_sandbox_provider, k_sandbox_keys, "crier accounts add sandbox --handle NAME",
                 k_sandbox_options},
    ProviderInfo{"bluesky", "Bluesky and other AT Protocol servers (XRPC)", &make_bluesky_provider,
                 k_bluesky_keys, "crier accounts add bluesky --handle HANDLE --secret-stdin < app-password"},
    ProviderInfo{"mastodon",
                 "Mastodon and compatible servers (REST API, any instance)",
                 &make_mastodon_provider,
                 {},
                 "crier accounts add mastodon --server INSTANCE"},
    ProviderInfo{"reddit", "Reddit (OAuth API): self, link and image posts to a subreddit, the inbox, karma",
                 &make_reddit_provider, k_reddit_keys,
                 "crier accounts add reddit (browser sign-in; reddit.client_id set), or a script app's JSON "
                 "with --secret-stdin",
                 k_reddit_options},
    ProviderInfo{"threads",
                 "Threads (Meta's Graph API): text, images, carousels and thread chains, replies, mentions, insights",
                 &make_threads_provider, k_threads_keys,
                 "crier accounts add threads --secret-stdin < long-lived-token (or the account's token_cmd)"},
    ProviderInfo{"instagram",
                 "Instagram business and creator accounts (Graph API): images and carousels, comments, tags, DMs, "
                 "insights",
                 &make_instagram_provider, k_instagram_keys,
                 "crier accounts add instagram --secret-stdin < token (Instagram Login, or a Facebook user token "
                 "with --ig-user NAME to pick the linked account)",
                 {}, "--page --ig-user"},
    ProviderInfo{"facebook", "Facebook Pages (Graph API): text, links and photos, comments, Messenger, insights",
                 &make_facebook_provider, k_facebook_keys,
                 "crier accounts add facebook --page NAME --secret-stdin < user-or-page-token", k_facebook_options,
                 "--page"},
};
}  // namespace

std::span<const ProviderInfo> provider_table() { return k_providers; }

const ProviderInfo* find_provider(std::string_view name) {
  for (const auto& p : k_providers)
    if (p.name == name) return &p;
  return external_provider_info(name);
}

std::vector<const ProviderInfo*> every_provider(std::vector<std::string>* broken) {
  std::vector<const ProviderInfo*> out;
  for (const auto& p : k_providers) out.push_back(&p);
  for (const auto& file : find_external_providers()) {
    if (std::any_of(k_providers.begin(), k_providers.end(),
                    [&](const auto& p) { return p.name == file.name; }))
      continue;  // a built-in network of the same name wins
    try {
      if (const ProviderInfo* info = external_provider_info(file.name)) out.push_back(info);
    } catch (const Error& e) {
      if (broken) broken->push_back(e.what());
    }
  }
  return out;
}

}  // namespace crier
