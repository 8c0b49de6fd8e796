// The Bluesky provider against a loopback PDS fake (see tests/e2e for the real local network).
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "providers/bluesky/testing/bluesky_fake.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "providers/bluesky/bluesky_provider.hpp"

namespace crier::testing {
namespace {

class BlueskyFixture final : public ConformanceFixture {
 public:
  BlueskyFixture() : m_http(make_curl_transport()) {
    m_config.set_override("bluesky.chat_service", BlueskyFake::k_chat);
    m_env = std::make_unique<ProviderEnv>(ProviderEnv{*m_http, m_clock, m_config, m_dir.path()});
    m_provider = make_bluesky_provider(*m_env);
  }
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {BlueskyFake::k_handle, m_fake.url(), BlueskyFake::k_password}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    for (const auto& p : m_fake.our_posts())
      if (!p["value"].contains("reply")) m_fake.add_reply("bob.test", "great post", p["uri"]);
    m_fake.add_mention("carol.test", "what do you think?");
    m_fake.add_dm("bob.test", "hey, a question");
  }
  size_t posts_on_network() override { return m_fake.our_posts().size(); }
  std::string bad_secret() override {
    return R"({"did":"did:plc:notreal","accessJwt":"not-a-real-jwt","refreshJwt":"not-a-real-jwt"})";
  }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_create();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

 private:
  BlueskyFake m_fake;
  TempDir m_dir;
  std::unique_ptr<Transport> m_http;
  FixedClock m_clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config m_config = Config::defaults();
  std::unique_ptr<ProviderEnv> m_env;
  std::unique_ptr<Provider> m_provider;
};

}  // namespace

TEST_CASE("bluesky passes the provider conformance suite", "[conformance][bluesky]") {
  BlueskyFixture f;
  run_provider_conformance(f);
}

}  // namespace crier::testing
