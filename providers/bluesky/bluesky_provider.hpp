// Bluesky (AT Protocol, XRPC). Signs in once with an app password (createSession is rate limited
// hard) and keeps the session, refreshing it with refreshSession; posts records whose key (rkey)
// is derived from the delivery so a retry collides instead of duplicating; facets for links,
// mentions (resolved to DIDs) and hashtags at UTF-8 byte offsets; images via uploadBlob; threads
// with root and parent references; notifications for the inbox, chat through the PDS with the
// atproto-proxy header; counts from getPosts in batches of 25, followers from getProfile.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_bluesky_provider(ProviderEnv& env);
}
