// External providers (crier-provider(7)): the example Discord plugin, in Python, passes the same
// conformance suite through the protocol against its own fake; and plugins that hang, crash,
// print garbage or speak another protocol are errors of their target, never a crash or a hang.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "config/config.hpp"
#include "conformance/provider_suite.hpp"
#include "error.hpp"
#include "fakes/fake_transport.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "provider/external.hpp"

namespace crier::testing {
namespace {

const std::filesystem::path k_example_dir =
    std::filesystem::path(CRIER_SOURCE_DIR) / "examples/providers/discord";

// PATH with `dir` first, for as long as it lives.
class PathWith {
 public:
  explicit PathWith(const std::filesystem::path& dir) {
    const char* old = std::getenv("PATH");
    m_old = old ? old : "";
    ::setenv("PATH", (dir.string() + ":" + m_old).c_str(), 1);
  }
  ~PathWith() { ::setenv("PATH", m_old.c_str(), 1); }

 private:
  std::string m_old;
};

class DiscordFixture final : public ConformanceFixture {
 public:
  DiscordFixture() : m_path(k_example_dir), m_env{m_http, m_clock, m_config, m_dir.path()} {
    auto port_file = m_dir.path() / "port";
    m_pid = spawn_detached(
        {"python3", (k_example_dir / "fake_discord.py").string(), "--port-file", port_file.string()});
    REQUIRE(m_pid > 0);
    for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    REQUIRE(std::filesystem::exists(port_file));
    m_port = std::stoi(read_file(port_file));
    const ProviderInfo* info = find_provider("discord");
    REQUIRE(info != nullptr);
    REQUIRE_FALSE(info->path.empty());
    m_provider = make_external_provider(m_env, *info);
  }
  ~DiscordFixture() override {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  Provider& provider() override { return *m_provider; }
  ConnectRequest good_connect() override { return {"1100000000000000010", url(), "fake-bot-token"}; }
  void advance(std::chrono::seconds s) override {
    m_clock.advance(s);
    control().Post("/_fake/advance?seconds=" + std::to_string(s.count()));
  }
  size_t posts_on_network() override {
    auto r = control().Get("/_fake/count");
    REQUIRE(r);
    return nlohmann::json::parse(r->body)["count"].get<size_t>();
  }
  std::string bad_secret() override { return R"({"token":"not-a-real-token"})"; }
  bool lose_next_publish_answer() override { return static_cast<bool>(control().Post("/_fake/lose_next")); }
  std::filesystem::path scratch_dir() override { return m_dir.path(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  httplib::Client control() { return httplib::Client("127.0.0.1", m_port); }

 private:
  TempDir m_dir;
  PathWith m_path;
  FakeTransport m_http;  // the plugin makes its own requests; crier makes none
  FixedClock m_clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config m_config = Config::defaults();
  ProviderEnv m_env;
  int m_pid = -1;
  int m_port = 0;
  std::unique_ptr<Provider> m_provider;
};

}  // namespace

TEST_CASE("the Python Discord plugin passes the provider conformance suite", "[conformance][external]") {
  DiscordFixture f;
  run_provider_conformance(f);
}

TEST_CASE("the Discord plugin maps Discord's errors to crier's kinds", "[conformance][external]") {
  DiscordFixture f;
  Provider& p = f.provider();
  Connected c = p.connect(f.good_connect());
  Session s;
  s.account.handle = c.handle;
  s.account.server = c.server;
  s.account.settings = c.settings;
  s.secret = c.secret;
  SECTION("a 429 is rate_limited with Discord's retry_after") {
    f.control().Post("/_fake/throttle_next");
    try {
      p.publish(s, PublishRequest{"k-throttled", {{"hello", {}}}});
      FAIL("expected a rate limit");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::rate_limited);
      REQUIRE(e.retry_after());
      CHECK(e.retry_after()->count() == 2);  // 1.5 s, rounded up
    }
    CHECK(f.posts_on_network() == 0);
  }
  SECTION("text over 2,000 characters is refused by Discord as permanent, with its code") {
    try {
      p.publish(s, PublishRequest{"k-long", {{std::string(2001, 'a'), {}}}});
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::permanent);
      CHECK(e.code() == "50035");
    }
  }
  SECTION("a channel that is not there is not_found at connect") {
    CHECK_THROWS_MATCHES(
        p.connect({"1100000000000009999", f.url(), "fake-bot-token"}), Error,
        Catch::Predicate<Error>([](const Error& e) { return e.kind() == ErrorKind::not_found; }));
  }
  SECTION("a handle that is not a channel id is invalid input, with a hint") {
    try {
      p.connect({"#general", f.url(), "fake-bot-token"});
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK_THAT(e.hint(), Catch::Contains("Copy Channel ID"));
    }
  }
}

namespace {

// One Python plugin whose behaviour is its name (crier-provider-MODE).
constexpr const char* k_bad_plugin = R"PY(#!/usr/bin/env python3
import json, os, subprocess, sys, time
mode = os.path.basename(sys.argv[0])[len("crier-provider-"):]
def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    msg = json.loads(line)
    method, rid = msg["method"], msg["id"]
    if method == "describe":
        if mode == "slowdescribe":
            time.sleep(1000)
        say({"jsonrpc": "2.0", "id": rid, "result": {
            "name": mode, "protocol": 99 if mode == "future" else 1, "summary": "a test plugin",
            "capabilities": ["threads"], "text_rules": {"max_length": 100, "unit": "characters"}}})
        continue
    if method == "verify" and mode == "refresh":
        say({"jsonrpc": "2.0", "id": rid, "result": {"secret": "{\"token\":\"fresh\"}"}})
        continue
    if method == "verify":
        say({"jsonrpc": "2.0", "id": rid, "result": {}})
        continue
    if mode == "hangs":
        subprocess.Popen(["sleep", "1000"])  # what it started is stopped with it
        time.sleep(1000)
    if mode == "crashes":
        sys.stderr.write("Traceback: something broke\n"); sys.stderr.flush()
        os._exit(3)
    if mode == "garbage":
        print("Hello! I am not JSON-RPC", flush=True)
        continue
    if mode == "wrongid":
        say({"jsonrpc": "2.0", "id": rid + 7, "result": {}})
        continue
    if mode == "noid":
        say({"jsonrpc": "2.0", "id": rid, "result": {"parts": [{"remote_id": "", "url": ""}]}})
        continue
    if mode == "limited":
        say({"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": "slow down",
             "data": {"kind": "rate_limited", "retry_after": 30, "code": "TooMany"}}})
        continue
    if mode == "claims":
        say({"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": "odd",
             "data": {"kind": "usage"}}})
        continue
    say({"jsonrpc": "2.0", "id": rid, "result": {"parts": [{"remote_id": "1", "url": "u"}]}})
)PY";

class BadPlugins {
 public:
  BadPlugins() : m_path(m_dir.path()) {
    for (const char* mode : {"hangs", "crashes", "garbage", "wrongid", "noid", "limited", "claims", "refresh",
                             "future", "slowdescribe"}) {
      auto file = m_dir.path() / (std::string("crier-provider-") + mode);
      std::ofstream(file) << k_bad_plugin;
      std::filesystem::permissions(file, std::filesystem::perms::owner_all);
    }
    set_external_provider_timeout(std::chrono::seconds{2});
  }
  ~BadPlugins() {
    stop_external_providers();
    set_external_provider_timeout(std::chrono::seconds{120});
  }
  std::unique_ptr<Provider> make(const std::string& name) {
    const ProviderInfo* info = find_provider(name);
    REQUIRE(info != nullptr);
    return make_external_provider(m_env, *info);
  }

 private:
  TempDir m_dir;
  PathWith m_path;
  FakeTransport m_http;
  FixedClock m_clock{*parse_iso8601("2026-11-22T10:00:00Z")};
  Config m_config = Config::defaults();
  ProviderEnv m_env{m_http, m_clock, m_config, m_dir.path()};
};

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an Error");
  return Error(ErrorKind::internal, "");
}

PublishRequest one_post() {
  return PublishRequest{"k", {{"hello", {}}}};
}

}  // namespace

TEST_CASE("a plugin that misbehaves is an error of its target, and crier goes on",
          "[conformance][external]") {
  BadPlugins plugins;
  Session s;
  s.account.handle = "me";
  s.secret = R"({"token":"t"})";

  SECTION("one that hangs is stopped after the timeout, with what it started, and starts again") {
    auto p = plugins.make("hangs");
    auto started = std::chrono::steady_clock::now();
    Error e = error_of([&] { p->publish(s, one_post()); });
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(e.kind() == ErrorKind::transient);  // the post may exist: the engine reconciles
    CHECK_THAT(e.what(), Catch::Contains("did not answer within 2 s"));
    CHECK(took < std::chrono::seconds{10});
    // Its child (sleep 1000) went with it.
    auto r = run_process({"pgrep", "-f", "sleep 1000"});
    CHECK(r.out.empty());
    CHECK_NOTHROW(p->verify(s));  // a new process for the next call
  }
  SECTION("one that crashes: its exit and its last words") {
    auto p = plugins.make("crashes");
    Error e = error_of([&] { p->publish(s, one_post()); });
    CHECK(e.kind() == ErrorKind::transient);
    CHECK_THAT(e.what(), Catch::Contains("exited (status 3)"));
    CHECK_THAT(e.what(), Catch::Contains("something broke"));
    CHECK_NOTHROW(p->verify(s));
  }
  SECTION("one that prints garbage, or answers another request") {
    auto g = plugins.make("garbage");
    CHECK_THAT(error_of([&] { g->publish(s, one_post()); }).what(),
               Catch::Contains("not a JSON-RPC 2.0 message"));
    auto w = plugins.make("wrongid");
    CHECK_THAT(error_of([&] { w->publish(s, one_post()); }).what(), Catch::Contains("answered request"));
  }
  SECTION("a publish answered without an id is an unknown outcome") {
    auto p = plugins.make("noid");
    CHECK(error_of([&] { p->publish(s, one_post()); }).kind() == ErrorKind::transient);
  }
  SECTION("its errors keep their kind, code and retry_after; crier's own kinds are not its to claim") {
    auto p = plugins.make("limited");
    Error e = error_of([&] { p->publish(s, one_post()); });
    CHECK(e.kind() == ErrorKind::rate_limited);
    CHECK(e.code() == "TooMany");
    REQUIRE(e.retry_after());
    CHECK(e.retry_after()->count() == 30);
    auto c = plugins.make("claims");
    CHECK(error_of([&] { c->publish(s, one_post()); }).kind() == ErrorKind::permanent);
  }
  SECTION("a secret it returns replaces the stored one") {
    auto p = plugins.make("refresh");
    std::string saved;
    s.save_secret = [&](const std::string& v) { saved = v; };
    p->verify(s);
    CHECK(saved == R"({"token":"fresh"})");
    CHECK(s.secret == saved);
  }
  SECTION("one of another protocol version, or that cannot describe itself, is a config error") {
    Error e = error_of([] { find_provider("future"); });
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.what(), Catch::Contains("protocol 99"));
    Error slow = error_of([] { find_provider("slowdescribe"); });
    CHECK(slow.kind() == ErrorKind::config);
    CHECK_THAT(slow.what(), Catch::Contains("could not describe itself"));
    std::vector<std::string> broken;
    auto all = every_provider(&broken);
    CHECK(broken.size() >= 2);
    CHECK(std::any_of(all.begin(), all.end(), [](const auto* i) { return i->name == "hangs"; }));
  }
}

}  // namespace crier::testing
