// Facebook Pages through Meta's Graph API: text, link and photo posts (photos uploaded with the
// post, several attached to one), reconciled by the Page's feed since the attempt began;
// comments and Messenger conversations, answered (a message within Meta's 24-hour window);
// reactions, comments, shares and impressions; followers.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_facebook_provider(ProviderEnv& env);
}
