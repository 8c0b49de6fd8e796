// The one table of built-in providers. Adding a network: its folder under providers/, one row
// here, one conformance test file, and its page in man/.
#include <array>

#include "provider/provider.hpp"
#include "providers/bluesky/bluesky_provider.hpp"
#include "providers/mastodon/mastodon_provider.hpp"
#include "providers/sandbox/sandbox_provider.hpp"

namespace crier {
namespace {
constexpr std::array k_providers{
    ProviderInfo{"sandbox", "a local, offline network with simulated followers, for trying crier",
                 &make_sandbox_provider},
    ProviderInfo{"bluesky", "Bluesky and other AT Protocol servers (XRPC)", &make_bluesky_provider},
    ProviderInfo{"mastodon", "Mastodon and compatible servers (REST API, any instance)", &make_mastodon_provider},
};
}  // namespace

std::span<const ProviderInfo> provider_table() { return k_providers; }

const ProviderInfo* find_provider(std::string_view name) {
  for (const auto& p : k_providers)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace crier
