// A scripted HTTP transport for unit tests. Each expected request is matched in order by
// method and URL; an unexpected request fails the test (and throws), and an expectation that
// was never used fails it too when the fake is destroyed.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "http/transport.hpp"

namespace crier::testing {

class FakeTransport final : public Transport {
 public:
  ~FakeTransport() override;

  // Expects `method url` next (url compared exactly, or as a prefix when it ends with '*').
  FakeTransport& expect(std::string method, std::string url, HttpResponse response);
  // Same, with a check run on the request (REQUIRE inside it as you like).
  FakeTransport& expect(std::string method, std::string url, std::function<void(const HttpRequest&)> check,
                        HttpResponse response);

  HttpResponse send(const HttpRequest& request) override;

  const std::vector<HttpRequest>& requests() const { return m_seen; }
  size_t pending() const { return m_expected.size(); }

 private:
  struct Expectation {
    std::string method, url;
    std::function<void(const HttpRequest&)> check;
    HttpResponse response;
  };
  std::deque<Expectation> m_expected;
  std::vector<HttpRequest> m_seen;
};

HttpResponse json_response(int status, std::string body, Headers headers = {});

}  // namespace crier::testing
