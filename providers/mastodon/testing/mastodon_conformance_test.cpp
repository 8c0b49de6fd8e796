// The Mastodon provider against a loopback Mastodon that answers with recorded traffic.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "providers/mastodon/testing/mastodon_fake.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "providers/mastodon/mastodon_provider.hpp"

namespace crier::testing {
namespace {

class MastodonFixture final : public ConformanceFixture {
 public:
  MastodonFixture()
      : m_http(make_curl_transport()),
        m_env{*m_http, m_clock, m_config, m_dir.path()},
        m_provider(make_mastodon_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"", m_fake.url(), MastodonFake::k_token}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    // People react: a reply to each of our posts, a mention and a DM.
    for (const auto& st : m_fake.our_statuses())
      if (st["in_reply_to_id"].is_null()) m_fake.add_mention("ada@other.example", "nice one", st["id"]);
    m_fake.add_mention("grace@elsewhere.example", "have you seen this?");
    m_fake.add_dm("linus@kernel.example", "quick question");
  }
  size_t posts_on_network() override { return m_fake.our_statuses().size(); }
  std::string bad_secret() override { return R"({"access_token":"not-a-real-token"})"; }
  bool lose_next_publish_answer() override {
    m_fake.lose_next_status_answer();
    return true;
  }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

 private:
  MastodonFake m_fake;
  TempDir m_dir;
  std::unique_ptr<Transport> m_http;
  FixedClock m_clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config m_config = Config::defaults();
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

}  // namespace

TEST_CASE("mastodon passes the provider conformance suite", "[conformance][mastodon]") {
  MastodonFixture f;
  run_provider_conformance(f);
}

}  // namespace crier::testing
