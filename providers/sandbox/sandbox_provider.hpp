// The sandbox provider: a real provider behind the same interface as every network, talking
// to the local sandbox network (sandbox_network.hpp) instead of a server. For trying crier
// without credentials, for the demo, and for end-to-end tests.
//
// Fault injection for tests: CRIER_SANDBOX_FAULT="op[@handle]=kind[,...]" makes an operation
// fail in this process (for one handle, or all). op: publish, reply, inbox, metrics, verify.
// kind: an error kind (transient,
// rate_limited, auth, permanent, ...) or lost_response (the network keeps the post, but the
// answer is lost on the way back, as when a connection drops after the server accepted).
#pragma once

#include <memory>

#include "provider/provider.hpp"

namespace crier {
std::unique_ptr<Provider> make_sandbox_provider(ProviderEnv& env);
}
