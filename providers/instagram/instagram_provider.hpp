// Instagram business and creator accounts through Meta's Graph API: by Instagram Login (the
// account's own token, graph.instagram.com) or by Facebook Login (a Page's linked account and
// the Page's token, graph.facebook.com). Image and carousel posts made as containers and then
// published, the container kept in the delivery's progress; comments, tags and DMs (within
// Meta's 24-hour window); insights. Images are fetched by Instagram from the media store's URL.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_instagram_provider(ProviderEnv& env);
}
