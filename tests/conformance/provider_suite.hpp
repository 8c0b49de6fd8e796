// The shared provider conformance suite. Every provider — built in or external — runs it
// against a fake of its network through a fixture; a provider's test file is a few lines:
//
//   TEST_CASE("mynet conformance") { MyNetFixture f; crier::testing::run_provider_conformance(f); }
//
// Each SECTION runs on a fresh fixture (Catch re-enters the TEST_CASE).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
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
  // A stored secret of this provider's own shape whose values the network never issued.
  virtual std::string bad_secret() = 0;
  // Makes the network create the next post and then fail to answer (a 5xx); false when the
  // fake cannot (the reconcile-after-a-lost-answer section is then skipped, and says so).
  virtual bool lose_next_publish_answer() { return false; }
  // Where the suite may write files (images to attach).
  virtual std::filesystem::path scratch_dir() = 0;
  // Values for the --opt options the network requires (Reddit's subreddit), for every post.
  virtual std::map<std::string, std::string> required_options() { return {}; }
};

void run_provider_conformance(ConformanceFixture& fixture);

}  // namespace crier::testing
