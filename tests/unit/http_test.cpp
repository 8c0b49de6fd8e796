#include <catch2/catch.hpp>

#include <thread>

#include <httplib.h>
#include <unistd.h>

#include "error.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/loopback_server.hpp"
#include "http/loopback_redirect.hpp"
#include "http/pacer.hpp"
#include "http/transport.hpp"
#include "log.hpp"

using namespace crier;
using namespace crier::testing;

namespace {
Timestamp now() { return *parse_iso8601("2026-11-22T10:00:00Z"); }
ErrorKind kind_of(int status, Headers h = {}) {
  try {
    throw_for_status(HttpResponse{status, h, R"({"error":"InvalidRequest","message":"text too long"})"}, "op", now());
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error for HTTP " << status);
  return ErrorKind::internal;
}
}  // namespace

TEST_CASE("HTTP statuses map to error kinds", "[http]") {
  CHECK_NOTHROW(throw_for_status(HttpResponse{200, {}, ""}, "op", now()));
  CHECK_NOTHROW(throw_for_status(HttpResponse{202, {}, ""}, "op", now()));
  CHECK(kind_of(400) == ErrorKind::permanent);
  CHECK(kind_of(401) == ErrorKind::auth);
  CHECK(kind_of(403) == ErrorKind::auth);
  CHECK(kind_of(404) == ErrorKind::not_found);
  CHECK(kind_of(408) == ErrorKind::transient);
  CHECK(kind_of(422) == ErrorKind::permanent);
  CHECK(kind_of(429) == ErrorKind::rate_limited);
  CHECK(kind_of(500) == ErrorKind::transient);
  CHECK(kind_of(503) == ErrorKind::transient);
  try {
    throw_for_status(HttpResponse{400, {}, R"({"error":"InvalidRequest","message":"text too long"})"}, "bluesky createRecord", now());
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "bluesky createRecord failed (HTTP 400): text too long: InvalidRequest");
  }
}

TEST_CASE("Retry-After: seconds or an HTTP date", "[http]") {
  CHECK(parse_retry_after("120", now()) == std::chrono::seconds{120});
  CHECK(parse_retry_after("Sun, 22 Nov 2026 10:05:00 GMT", now()) == std::chrono::seconds{300});
  CHECK(parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now()) == std::chrono::seconds{0});
  CHECK_FALSE(parse_retry_after("soon", now()));
  try {
    throw_for_status(HttpResponse{429, {{"retry-after", "30"}}, ""}, "op", now());
  } catch (const Error& e) {
    CHECK(e.retry_after() == std::chrono::seconds{30});
  }
}

TEST_CASE("secrets are redacted from logs", "[http][redact]") {
  CHECK(redact("Authorization: Bearer abc.def-123") == "Authorization: Bearer [redacted]");
  CHECK(redact(R"({"identifier":"me","password":"hunter2"})") == R"({"identifier":"me","password":"[redacted]"})");
  CHECK(redact(R"({"accessJwt":"eyJhbGciOi.eyJzdWIi.sig"})").find("eyJ") == std::string::npos);
  CHECK(redact("https://x/cb?code=s3cret&state=1") == "https://x/cb?code=[redacted]&state=1");
  HttpRequest q{"POST", "https://pds/xrpc/com.atproto.server.createSession",
                {{"Authorization", "Bearer tok"}, {"Content-Type", "application/json"}},
                R"({"identifier":"me","password":"app-pass-word"})"};
  std::string log = describe_for_log(q);
  CHECK(log.find("tok") == std::string::npos);
  CHECK(log.find("app-pass-word") == std::string::npos);
  CHECK_THAT(log, Catch::Contains("Content-Type: application/json"));
}

TEST_CASE("curl transport against a loopback server", "[http][loopback]") {
  LoopbackServer server;
  server.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Seen-UA", req.get_header_value("User-Agent"));
    res.set_content(req.body, "application/json");
  });
  server.server().Get("/limited", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "7");
    res.set_content("{\"error\":\"RateLimitExceeded\"}", "application/json");
  });
  server.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  std::string base = server.start();
  auto http = make_curl_transport();

  auto r = http->send({"POST", base + "/echo", {{"Content-Type", "application/json"}, {"X-Test", "1"}}, R"({"a":1})"});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"a":1})");
  CHECK_THAT(*r.header("x-seen-ua"), Catch::StartsWith("crier/"));
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].headers.find("X-Test")->second == "1");
  CHECK(seen[0].headers.count("Expect") == 0);

  auto limited = http->send({"GET", base + "/limited", {}, ""});
  CHECK(limited.status == 429);
  try {
    throw_for_status(limited, "op", now());
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() == std::chrono::seconds{7});
  }

  HttpRequest slow{"GET", base + "/slow", {}, ""};
  slow.timeout = std::chrono::milliseconds{300};
  try {
    http->send(slow);
    FAIL("expected a timeout");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);
  }
}

TEST_CASE("an unreachable server is a network error", "[http][loopback]") {
  int port = 0;
  {
    LoopbackServer s;  // take a free port, then close it
    std::string base = s.start();
    port = std::stoi(base.substr(base.rfind(':') + 1));
  }
  auto http = make_curl_transport();
  try {
    http->send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
    FAIL("expected a network error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::network);
    CHECK_THAT(e.what(), Catch::Contains("cannot reach"));
  }
}

TEST_CASE("the fake transport answers in order and records what was sent", "[http][fake]") {
  FakeTransport fake;
  fake.expect("POST", "https://api/x", [](const HttpRequest& q) { CHECK(q.body == "1"); }, json_response(200, "{}"))
      .expect("GET", "https://api/list?*", json_response(200, "[]"));
  CHECK(fake.send({"POST", "https://api/x", {}, "1"}).status == 200);
  CHECK(fake.send({"GET", "https://api/list?page=2", {}, ""}).body == "[]");
  CHECK(fake.pending() == 0);
  CHECK(fake.requests().size() == 2);
}

TEST_CASE("rate-limit headers of both conventions say when to come back", "[http][ratelimit]") {
  auto at = [](Headers h) { return HttpResponse{429, std::move(h), ""}; };
  CHECK(rate_limit_wait(at({{"Retry-After", "30"}}), now()) == std::chrono::seconds{30});
  // Mastodon: ISO time.
  CHECK(rate_limit_wait(at({{"X-RateLimit-Reset", "2026-11-22T10:05:00.000Z"}}), now()) == std::chrono::seconds{300});
  // Bluesky: epoch seconds; the IETF draft: delta seconds.
  CHECK(rate_limit_wait(at({{"ratelimit-reset", std::to_string(to_unix(now()) + 90)}}), now()) == std::chrono::seconds{90});
  CHECK(rate_limit_wait(at({{"RateLimit-Reset", "45"}}), now()) == std::chrono::seconds{45});
  CHECK_FALSE(rate_limit_wait(at({}), now()));
  try {
    throw_for_status(at({{"ratelimit-reset", std::to_string(to_unix(now()) + 60)}}), "bluesky createRecord", now());
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() == std::chrono::seconds{60});
  }

  Pacer pacer;
  HttpRequest q{"GET", "https://pds.example/xrpc/app.bsky.feed.getPosts", {{"Authorization", "Bearer a"}}, ""};
  pacer.observe(q, HttpResponse{200, {{"ratelimit-remaining", "3000"}, {"ratelimit-limit", "3000"}}, ""}, now());
  CHECK_NOTHROW(pacer.before(q, "x", now()));
  pacer.observe(q, HttpResponse{200, {{"ratelimit-remaining", "0"}, {"ratelimit-reset", std::to_string(to_unix(now()) + 120)}}, ""},
                now());
  try {
    pacer.before(q, "bluesky getPosts", now() + std::chrono::seconds{20});
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() == std::chrono::seconds{100});
  }
  CHECK_NOTHROW(pacer.before(q, "x", now() + std::chrono::seconds{121}));
}

TEST_CASE("base64 as RFC 4648 writes it", "[http]") {
  for (auto [in, out] : std::vector<std::pair<std::string, std::string>>{
           {"", ""},
           {"f", "Zg=="},
           {"fo", "Zm8="},
           {"foo", "Zm9v"},
           {"foob", "Zm9vYg=="},
           {"fooba", "Zm9vYmE="},
           {"foobar", "Zm9vYmFy"},
           {"fake-client-id:fake-client-secret", "ZmFrZS1jbGllbnQtaWQ6ZmFrZS1jbGllbnQtc2VjcmV0"},
           {std::string("\xff\x00\x80", 3), "/wCA"}})
    CHECK(base64_encode(in) == out);
}

TEST_CASE("pacing: a window running low is spread until the reset, per server and credentials", "[http][pacing]") {
  Pacer pacer(std::chrono::seconds{2});
  HttpRequest alice{"POST", "https://m.example/api/v1/statuses", {{"Authorization", "Bearer alice"}}, ""};
  HttpRequest bob{"POST", "https://m.example/api/v1/statuses", {{"Authorization", "Bearer bob"}}, ""};
  // 300 per window: 250 left is plenty, no pause.
  pacer.observe(alice, HttpResponse{200, {{"X-RateLimit-Limit", "300"}, {"X-RateLimit-Remaining", "250"},
                                          {"X-RateLimit-Reset", "2026-11-22T10:05:00Z"}}, ""}, now());
  pacer.before(alice, "x", now());
  CHECK(pacer.pause_for(alice).count() == 0);
  // 4 left for 2 seconds: one call every half second.
  pacer.observe(alice, HttpResponse{200, {{"X-RateLimit-Limit", "300"}, {"X-RateLimit-Remaining", "4"},
                                          {"X-RateLimit-Reset", "2026-11-22T10:00:02Z"}}, ""}, now());
  auto t0 = std::chrono::steady_clock::now();
  pacer.before(alice, "x", now());  // takes its turn at once
  pacer.before(alice, "x", now());  // waits its turn
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(450));
  CHECK(pacer.pause_for(alice) > std::chrono::milliseconds(300));
  // Another account on the same server is not slowed by alice's window.
  CHECK(pacer.pause_for(bob).count() == 0);
  CHECK_NOTHROW(pacer.before(bob, "x", now()));
  // A pause longer than the longest taken in place defers instead.
  pacer.observe(alice, HttpResponse{200, {{"X-RateLimit-Remaining", "1"}, {"X-RateLimit-Reset", "600"}}, ""}, now());
  pacer.before(alice, "x", now());
  try {
    pacer.before(alice, "x", now());
    FAIL("expected rate_limited");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.retry_after() >= std::chrono::seconds{500});
  }
  // Reddit's headers: X-Ratelimit-Remaining "0.0" with the reset in seconds.
  HttpRequest carol{"GET", "https://oauth.reddit.example/api/v1/me", {{"Authorization", "bearer carol"}}, ""};
  pacer.observe(
      carol,
      HttpResponse{
          200,
          {{"X-Ratelimit-Used", "600"}, {"X-Ratelimit-Remaining", "0.0"}, {"X-Ratelimit-Reset", "300"}},
          ""},
      now());
  CHECK_THROWS_AS(pacer.before(carol, "x", now()), Error);
}

namespace {
// A browser visiting `target` on the listener; returns the HTTP status it saw.
int visit(const LoopbackRedirect& l, const std::string& target) {
  std::string uri = l.redirect_uri();
  httplib::Client c(uri.substr(0, uri.find('/', 7)));
  auto r = c.Get(target);
  return r ? r->status : -1;
}
}  // namespace

TEST_CASE("loopback redirect: catches the code, ignores strays, refuses foreign answers", "[http][oauth]") {
  LoopbackRedirect l("s123");
  CHECK_THAT(l.redirect_uri(), Catch::Matches("http://127\\.0\\.0\\.1:[0-9]+/callback"));
  int stray = 0, good = 0;
  std::thread browser([&] {
    stray = visit(l, "/favicon.ico");
    good = visit(l, "/callback?code=abc%2Bdef&state=s123");
  });
  CHECK(l.wait_for_code(-1, std::chrono::seconds(10)) == "abc+def");
  browser.join();
  CHECK(stray == 404);
  CHECK(good == 200);

  for (const char* bad : {"/callback?code=x&state=other", "/callback?error=access_denied&state=s123",
                          "/callback?state=s123"}) {
    int status = 0;
    std::thread b([&] { status = visit(l, bad); });
    try {
      l.wait_for_code(-1, std::chrono::seconds(10));
      FAIL("expected an auth error for " << bad);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
    }
    b.join();
    CHECK(status == 400);
  }
}

TEST_CASE("loopback redirect: a pasted address or code works, and waiting ends", "[http][oauth]") {
  LoopbackRedirect l("s9");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::string line = "  http://127.0.0.1:1/callback?state=s9&code=pasted-1\nleft over";
  REQUIRE(::write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  CHECK(l.wait_for_code(fds[0], std::chrono::seconds(10)) == "pasted-1");
  // Only the line was consumed.
  char rest[16] = {};
  CHECK(::read(fds[0], rest, sizeof rest) == 9);
  ::close(fds[0]);
  ::close(fds[1]);

  CHECK(code_from_pasted("raw-code\r\n", "s9") == "raw-code");
  CHECK(code_from_pasted("code=c2&state=s9", "s9") == "c2");
  CHECK_THROWS_AS(code_from_pasted("http://x/?code=c&state=evil", "s9"), Error);

  try {
    l.wait_for_code(-1, std::chrono::milliseconds(50));
    FAIL("expected a timeout");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);
  }
}

TEST_CASE("an answer larger than the limit is an error, read no further", "[http][loopback][limits]") {
  LoopbackServer server;
  const size_t huge = 64 * 1024 * 1024;
  auto stream = [huge](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(huge, "application/json", [](size_t offset, size_t length, httplib::DataSink& sink) {
      std::string chunk(std::min<size_t>(length, 65536), 'x');
      (void)offset;
      return sink.write(chunk.data(), chunk.size());
    });
  };
  server.server().Get("/huge", stream);
  server.server().Post("/huge", stream);
  std::string url = server.start();
  CurlOptions o;
  o.max_body = 1024 * 1024;
  auto http = make_curl_transport(o);
  try {
    http->send({"GET", url + "/huge", {}, ""});
    FAIL("expected the limit");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::permanent);
    CHECK_THAT(e.what(), Catch::Contains("larger than 1048576 bytes"));
  }
  try {
    http->send({"POST", url + "/huge", {}, "x"});
    FAIL("expected the limit");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);  // the POST may have made something
  }
}

TEST_CASE("errors keep the server's own code, for decisions that do not read the wording", "[http]") {
  auto code_of = [](int status, const std::string& body) {
    try {
      throw_for_status(HttpResponse{status, {}, body}, "x", Timestamp{});
    } catch (const Error& e) {
      return e.code();
    }
    return std::string("no error");
  };
  CHECK(code_of(400, R"({"error":"RecordNotFound","message":"Could not locate record"})") == "RecordNotFound");
  CHECK(code_of(400, R"({"error":{"code":"invalid_request_error","message":"bad"}})") == "invalid_request_error");
  CHECK(code_of(422, R"({"error":"Validation failed: Text can't be blank"})") == "");  // a sentence, not a code
  CHECK(code_of(500, "<html>oops</html>") == "");
}
