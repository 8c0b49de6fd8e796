// Threads (Meta) through its Graph API (graph.threads.net): text, image and carousel posts and
// thread chains, each made as a container and then published, the container kept in the
// delivery's progress so a retry never makes a second post; replies and mentions; insights.
// Images are fetched by Threads from the media store's URL. Long-lived tokens are refreshed.
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_threads_provider(ProviderEnv& env);
}
