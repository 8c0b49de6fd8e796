// Reddit through its OAuth API (oauth.reddit.com), as a script app: self and link posts to a
// subreddit with a title, flair, nsfw and spoiler; the inbox (comment and post replies, username
// mentions, private messages); answers; scores. Reddit keeps no idempotency key, so reconcile
// reads the account's newest submissions.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_reddit_provider(ProviderEnv& env);
}
