// The shared provider conformance suite. Every provider — built in or external — runs it
// against a fake of its network through a fixture; a provider's test file is a few lines:
//
//   TEST_CASE("mynet conformance") { MyNetFixture f; crier::testing::run_provider_conformance(f); }
//
// Each SECTION runs on a fresh fixture (Catch re-enters the TEST_CASE).
#pragma once

#include <chrono>
#include <string>

#include "provider/provider.hpp"

namespace crier::testing {

class ConformanceFixture {
 public:
  virtual ~ConformanceFixture() = default;
  virtual Provider& provider() = 0;
  // Credentials the fake network accepts.
  virtual ConnectRequest good_connect() = 0;
  // Lets time pass on the network, so that its (simulated) people can react to posts.
  virtual void advance(std::chrono::seconds s) = 0;
  // How many posts (including replies and DMs) the network holds: the ground truth of "sent".
  virtual size_t posts_on_network() = 0;
};

void run_provider_conformance(ConformanceFixture& fixture);

}  // namespace crier::testing
