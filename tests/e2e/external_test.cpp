// End to end with external providers: the real binary finds crier-provider-NAME on PATH or in
// its data dir, lists it with the built-in networks, posts through it exactly once, and keeps
// going when a plugin hangs or prints garbage.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "fakes/temp_home.hpp"
#include "paths.hpp"

using namespace crier;
using namespace crier::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path k_example = fs::path(CRIER_SOURCE_DIR) / "examples/providers/discord";
const char* k_channel = "1100000000000000010";

// The example plugin's fake Discord, on an ephemeral port.
class FakeDiscord {
 public:
  FakeDiscord() {
    auto port_file = m_dir.path() / "port";
    m_pid = spawn_detached(
        {"python3", (k_example / "fake_discord.py").string(), "--port-file", port_file.string()});
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    REQUIRE(fs::exists(port_file));
    m_port = std::stoi(read_file(port_file));
  }
  ~FakeDiscord() {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  httplib::Client control() const { return httplib::Client("127.0.0.1", m_port); }
  int count() const { return json::parse(control().Get("/_fake/count")->body)["count"].get<int>(); }

 private:
  TempDir m_dir;
  int m_pid = -1;
  int m_port = 0;
};

std::string path_with_example() {
  return k_example.string() + ":" + std::getenv("PATH");
}

void write_plugin(const fs::path& file, const std::string& python) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "#!/usr/bin/env python3\n" << python;
  fs::permissions(file, fs::perms::owner_all);
}

// Describes itself and connects; every other call hangs (after starting a child) or, for
// "garbage", is answered with a line that is not JSON-RPC.
constexpr const char* k_stuck = R"PY(import json, os, subprocess, sys, time
mode = os.path.basename(sys.argv[0])[len("crier-provider-"):]
for line in sys.stdin:
    m = json.loads(line)
    ok = lambda r: print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": r}), flush=True)
    if m["method"] == "describe":
        ok({"name": mode, "protocol": 1, "summary": "stuck", "capabilities": [],
            "text_rules": {"max_length": 500, "unit": "characters"}})
    elif m["method"] == "connect":
        ok({"handle": m["params"]["handle"], "secret": "{}"})
    elif mode == "garbage":
        print("<html>oops</html>", flush=True)
    else:
        subprocess.Popen(["sleep", "998"])
        time.sleep(998)
)PY";

}  // namespace

TEST_CASE("an external provider is a network like the others: listed, connected, posted to once",
          "[e2e][external]") {
  FakeDiscord discord;
  CrierHome h(CRIER_BINARY);
  h.env["PATH"] = path_with_example();
  REQUIRE(h.run({"init"}).exit_code == 0);

  // Listed with the built-ins, in completions and in --help of --opt, without any file of
  // crier naming it.
  auto names = h.run({"providers", "list", "-q"});
  CHECK_THAT(names.out, Catch::Contains("sandbox\n") && Catch::Contains("discord\n"));
  json list = h.json({"providers", "list"});
  json row;
  for (const auto& p : list["providers"])
    if (p["name"] == "discord") row = p;
  REQUIRE(row.is_object());
  CHECK(row["external"] == true);
  CHECK(row["max_length"] == 2000);
  CHECK(row["unit"] == "characters");
  CHECK(row["options"][0]["name"] == "silent");
  CHECK(row["path"] == (k_example / "crier-provider-discord").string());
  CHECK(row["version"] == "1.0.0");
  CHECK_THAT(h.run({"providers", "list"}).out, Catch::Contains("discord"));
  CHECK_THAT(h.run({"post", "--help"}).out, Catch::Contains("discord: silent"));
  auto completion = h.run({"completion", "bash"});
  CHECK_THAT(completion.out, Catch::Contains("providers list -q"));

  // Connected with the bot token on stdin; the token is never shown.
  auto add = h.run(
      {"accounts", "add", "discord", "--handle", k_channel, "--server", discord.url(), "--secret-stdin"},
      std::string("fake-bot-token\n"));
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  CHECK(add.out.find("fake-bot-token") == std::string::npos);
  auto wrong = h.run({"accounts", "add", "discord", "--handle", k_channel, "--server", discord.url(),
                      "--secret-stdin", "--alias", "other"},
                     std::string("not-the-token\n"));
  CHECK(wrong.exit_code == 4);
  CHECK_THAT(wrong.err, Catch::Contains("bot token was refused"));

  // Posted with an option it declares; refused before storing when too long for it.
  std::string to = std::string("discord:") + k_channel;
  auto post = h.json({"post", "Hello from crier", "--to", to, "--opt", "silent=true"});
  CHECK(post["deliveries"][0]["result"] == "published");
  CHECK(discord.count() == 1);
  auto long_one = h.run({"post", std::string(2001, 'a'), "--to", to});
  CHECK(long_one.exit_code != 0);
  CHECK_THAT(long_one.err, Catch::Contains("2001/2000 characters"));

  // The answer is lost after Discord made the message: the retry finds it, nothing twice.
  REQUIRE(h.run({"config", "set", "publish.backoff_seconds", "0"}).exit_code == 0);
  discord.control().Post("/_fake/lose_next");
  auto lost = h.json({"post", "Lost in the post", "--to", to});
  CHECK(lost["deliveries"][0]["result"] == "published");
  CHECK(discord.count() == 2);

  // Replies come into the inbox and are answered through the plugin.
  discord.control().Post("/_fake/advance?seconds=60");
  auto poll = h.run({"poll"});
  INFO(poll.err);
  CHECK(poll.exit_code == 0);
  json inbox = h.json({"inbox", "list"});
  REQUIRE(inbox["items"].size() >= 2);
  CHECK(
      h.run({"inbox", "reply", std::to_string(inbox["items"][0]["id"].get<int>()), "Thank you!"}).exit_code ==
      0);
  CHECK(discord.count() == 3);
  CHECK(h.run({"doctor"}).out.find("fake-bot-token") == std::string::npos);
}

TEST_CASE("a plugin that hangs or prints garbage fails its own target, and the others are posted",
          "[e2e][external]") {
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  REQUIRE(h.run({"accounts", "add", "sandbox", "--handle", "me"}).exit_code == 0);
  write_plugin(h.data_dir() / "providers/crier-provider-stuck", k_stuck);
  write_plugin(h.data_dir() / "providers/crier-provider-garbage", k_stuck);
  // Connecting gets 3 s: starting Python twice (describe, connect) can take a second on a loaded
  // machine; what follows connect hangs in this plugin until the timeout. The post gets 1 s.
  h.env["CRIER_PROVIDER_TIMEOUT"] = "3";
  REQUIRE(
      h.run({"accounts", "add", "stuck", "--handle", "s", "--secret-stdin"}, std::string("x\n")).exit_code ==
      0);
  REQUIRE(h.run({"accounts", "add", "garbage", "--handle", "g", "--secret-stdin"}, std::string("x\n"))
              .exit_code == 0);
  h.env["CRIER_PROVIDER_TIMEOUT"] = "1";

  auto started = std::chrono::steady_clock::now();
  auto r = h.run({"post", "to everyone", "--to", "sandbox:me,stuck:s,garbage:g"});
  auto took = std::chrono::steady_clock::now() - started;
  INFO(r.out << r.err);
  CHECK(took < std::chrono::seconds{30});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("did not answer within 1 s"));
  CHECK_THAT(r.err, Catch::Contains("not a JSON-RPC 2.0 message"));
  CHECK(h.sandbox_state()["posts"].size() == 1);
  // Nothing of the two is lost: they wait for a retry.
  json q = h.json({"queue", "list", "--all"});
  int waiting = 0;
  for (const auto& d : q["deliveries"]) waiting += d["account"] != "sandbox:me" && d["status"] == "queued";
  CHECK(waiting == 2);
  // What the stuck one started is gone with it.
  CHECK(run_process({"pgrep", "-f", "sleep 998"}).out.empty());

  // A plugin that cannot describe itself is named, and the list goes on.
  write_plugin(h.data_dir() / "providers/crier-provider-mute", "import time\ntime.sleep(998)\n");
  auto list = h.run({"providers", "list", "-q"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("sandbox"));
  CHECK_THAT(list.err, Catch::Contains("provider 'mute'") && Catch::Contains("could not describe itself"));
}

TEST_CASE("every network of the table reaches the list, completions, --help and crier-config(5) by itself",
          "[e2e][external][docs]") {
  // What "a network is one folder and one row" promises: nothing else names it by hand.
  CrierHome h(CRIER_BINARY);
  h.env["PATH"] = path_with_example();
  REQUIRE(h.run({"init"}).exit_code == 0);
  std::string names = h.run({"providers", "list", "-q"}).out;
  std::string help = h.run({"post", "--help"}).out + h.run({"schedule", "--help"}).out;
  // The page as built: crier's keys and each network's own (providers/NAME/NAME.5.scd).
  std::string config_man = read_file(fs::path(CRIER_SOURCE_DIR) / "man/crier-config.5.scd");
  for (const auto& f : fs::directory_iterator(fs::path(CRIER_SOURCE_DIR) / "providers"))
    if (fs::exists(f.path() / (f.path().filename().string() + ".5.scd")))
      config_man += read_file(f.path() / (f.path().filename().string() + ".5.scd"));
  json list = h.json({"providers", "list"});
  REQUIRE(list["providers"].size() >= 5);  // sandbox, bluesky, mastodon, reddit, and the plugin
  for (const auto& p : list["providers"]) {
    std::string name = p["name"];
    INFO(name);
    CHECK(names.find(name + "\n") != std::string::npos);
    std::string opts;
    for (const auto& o : p["options"]) opts += (opts.empty() ? "" : ", ") + o["name"].get<std::string>();
    if (!opts.empty()) CHECK(help.find(name + ": " + opts) != std::string::npos);
  }
  // Completions ask crier for the networks instead of listing them.
  for (const char* shell : {"bash", "zsh", "fish"}) {
    std::string script = h.run({"completion", shell}).out;
    INFO(shell);
    CHECK(script.find("providers list -q") != std::string::npos);
    for (const auto& p : list["providers"])
      if (p["name"] != "sandbox") CHECK(script.find(p["name"].get<std::string>()) == std::string::npos);
  }
  // Every key in the config, a provider's own among them, is documented.
  json keys = h.json({"config", "get", "--all"});  // kept: a range-for over a temporary's member dangles
  for (const auto& k : keys["keys"]) {
    INFO(k["key"]);
    CHECK(config_man.find("*" + k["key"].get<std::string>() + "*") != std::string::npos);
  }
}
