#include <catch2/catch.hpp>

#include <sstream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "command_table.hpp"

using namespace crier;

namespace {
struct Run {
  int code;
  std::string out, err;
};
Run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  std::istringstream in;
  int code = run_cli(args, out, err, in);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("the CLI has exactly the commands of the table", "[cli]") {
  GlobalOptions g;
  Runner r;
  auto app = build_cli(g, r);
  std::vector<std::string> from_cli;
  for (const auto* s : app->get_subcommands([](const CLI::App*) { return true; })) from_cli.push_back(s->get_name());
  std::vector<std::string> from_table;
  for (const auto& c : command_table()) {
    from_table.emplace_back(c.name);
    CHECK_FALSE(c.summary.empty());
  }
  CHECK(from_cli == from_table);
}

TEST_CASE("did you mean", "[cli]") {
  std::vector<std::string> names{"post", "poll", "publish", "queue", "inbox"};
  CHECK(did_you_mean("pots", names) == "post");
  CHECK(did_you_mean("publsh", names) == "publish");
  CHECK(did_you_mean("inbx", names) == "inbox");
  CHECK(did_you_mean("xyzzy", names).empty());
}

TEST_CASE("usage errors: one line, a hint, exit 2", "[cli]") {
  auto r = run({"publsh"});
  CHECK(r.code == 2);
  CHECK(r.err == "crier: error: 'publsh' is not a crier command\nhint: did you mean 'crier publish'?\n");

  r = run({"queue", "cancle", "1"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("did you mean 'crier queue cancel'?"));

  r = run({"post", "--frobnicate", "hi"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("crier: error: "));
  CHECK_THAT(r.err, Catch::Contains("--frobnicate"));
  CHECK_THAT(r.err, Catch::Contains("hint: see: crier post --help"));

  r = run({});
  CHECK(r.code == 2);
  CHECK(r.out.empty());

  r = run({"-q", "-v", "version"});
  CHECK(r.code == 2);
}

TEST_CASE("help and version go to stdout with exit 0", "[cli]") {
  auto r = run({"--help"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("publish"));
  r = run({"schedule", "--help"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("--at"));
  r = run({"--version"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("crier "));
  r = run({"version", "--json"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"version\""));
}
