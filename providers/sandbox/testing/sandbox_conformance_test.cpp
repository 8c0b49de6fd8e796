// The sandbox provider against its own local network.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "providers/sandbox/sandbox_provider.hpp"

namespace crier::testing {
namespace {

class SandboxFixture final : public ConformanceFixture {
 public:
  SandboxFixture() : m_env{m_http, m_clock, m_config, m_dir.path()}, m_provider(make_sandbox_provider(m_env)) {}
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"conformance.sandbox", "", ""}; }
  void advance(std::chrono::seconds s) override { m_clock.advance(s); }
  size_t posts_on_network() override {
    auto p = m_dir.path() / "sandbox/network.json";
    if (!std::filesystem::exists(p)) return 0;
    return nlohmann::json::parse(read_file(p))["posts"].size();
  }
  std::string bad_secret() override { return R"({"token":"not-a-real-token"})"; }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }

 private:
  TempDir m_dir;
  FakeTransport m_http;  // the sandbox never uses HTTP; any request fails the test
  FixedClock m_clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config m_config = Config::defaults();
  ProviderEnv m_env;
  std::unique_ptr<Provider> m_provider;
};

}  // namespace

TEST_CASE("sandbox passes the provider conformance suite", "[conformance][sandbox]") {
  SandboxFixture f;
  run_provider_conformance(f);
}

TEST_CASE("sandbox: followers are deterministic for a seed", "[conformance][sandbox]") {
  SandboxFixture a;
  auto c = a.provider().connect(a.good_connect());
  Session s;
  s.account.handle = c.handle;
  s.secret = c.secret;
  a.provider().publish(s, PublishRequest{"k", {{"hello", {}}}});
  a.advance(std::chrono::hours{30});
  auto m1 = a.provider().account_metrics(s).followers;
  auto p1 = a.provider().fetch_inbox(s, InboxStream::mentions, "");
  auto m2 = a.provider().account_metrics(s).followers;
  auto p2 = a.provider().fetch_inbox(s, InboxStream::mentions, "");
  CHECK(m1 == m2);
  REQUIRE(p1.items.size() == p2.items.size());
  for (size_t i = 0; i < p1.items.size(); ++i) CHECK(p1.items[i].text == p2.items[i].text);
}

}  // namespace crier::testing
