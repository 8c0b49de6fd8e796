#include "fakes/fake_transport.hpp"

#include <exception>

#include <catch2/catch.hpp>

#include "error.hpp"

namespace crier::testing {

FakeTransport::~FakeTransport() {
  if (std::uncaught_exceptions() == 0 && !m_expected.empty()) {
    std::string left;
    for (const auto& e : m_expected) left += " " + e.method + " " + e.url;
    FAIL_CHECK("FakeTransport: expected requests never made:" << left);
  }
}

FakeTransport& FakeTransport::expect(std::string method, std::string url, HttpResponse response) {
  return expect(std::move(method), std::move(url), nullptr, std::move(response));
}

FakeTransport& FakeTransport::expect(std::string method, std::string url,
                                     std::function<void(const HttpRequest&)> check, HttpResponse response) {
  m_expected.push_back({std::move(method), std::move(url), std::move(check), std::move(response)});
  return *this;
}

HttpResponse FakeTransport::send(const HttpRequest& q) {
  m_seen.push_back(q);
  auto matches = [&](const Expectation& e) {
    if (e.method != q.method) return false;
    if (!e.url.empty() && e.url.back() == '*') return q.url.rfind(e.url.substr(0, e.url.size() - 1), 0) == 0;
    return e.url == q.url;
  };
  if (m_expected.empty() || !matches(m_expected.front())) {
    FAIL_CHECK("FakeTransport: unexpected request " << q.method << " " << q.url
               << (m_expected.empty() ? std::string(" (none expected)")
                                      : " (expected " + m_expected.front().method + " " + m_expected.front().url + ")"));
    throw Error(ErrorKind::internal, "unexpected request " + q.method + " " + q.url);
  }
  Expectation e = std::move(m_expected.front());
  m_expected.pop_front();
  if (e.check) e.check(q);
  // Streaming: the body in pieces of 7 bytes, so consumers meet splits everywhere.
  if (q.on_data && e.response.status >= 200 && e.response.status < 300)
    for (size_t i = 0; i < e.response.body.size(); i += 7)
      if (!q.on_data(std::string_view(e.response.body).substr(i, 7))) break;
  return e.response;
}

HttpResponse json_response(int status, std::string body, Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return HttpResponse{status, std::move(headers), std::move(body)};
}

}  // namespace crier::testing
