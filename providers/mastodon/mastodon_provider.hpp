// Mastodon (REST, per instance). Connect with a personal access token (--secret-stdin) or the
// OAuth authorization-code flow (an app registered on the instance, the code pasted back);
// limits read from /api/v2/instance and kept in the account's settings; statuses posted with an
// Idempotency-Key derived from the delivery; media via /api/v2/media with alt text; mentions
// and replies from /api/v1/notifications, DMs from /api/v1/conversations, each from a stored
// min_id cursor; counts from /api/v1/statuses/:id.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_mastodon_provider(ProviderEnv& env);
}
