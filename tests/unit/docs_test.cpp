// The command table, the CLI tree, crier(1), crier-config(5) and the three completion scripts
// must name the same commands, verbs and keys.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "command_table.hpp"
#include "config/config_keys.hpp"
#include "embedded.hpp"
#include "paths.hpp"
#include "provider/provider.hpp"

using namespace crier;

namespace {

std::string source(const std::string& rel) { return read_file(std::string(CRIER_SOURCE_DIR) + "/" + rel); }

// command -> its verbs, from the CLI tree.
std::map<std::string, std::vector<std::string>> cli_tree() {
  GlobalOptions g;
  Runner r;
  auto app = build_cli(g, r);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto* c : app->get_subcommands([](const CLI::App*) { return true; })) {
    auto& verbs = out[c->get_name()];
    for (const auto* v : c->get_subcommands([](const CLI::App*) { return true; })) verbs.push_back(v->get_name());
  }
  return out;
}


TEST_CASE("crier(1) documents every command and verb", "[docs]") {
  std::string man = source("man/crier.1.scd");
  for (const auto& [cmd, verbs] : cli_tree()) {
    INFO("command " << cmd);
    CHECK(man.find("*crier " + cmd) != std::string::npos);
    for (const auto& v : verbs) {
      INFO("verb " << v);
      CHECK(man.find("*crier " + cmd + " " + v) != std::string::npos);
    }
  }
  // and nothing that does not exist
  std::regex entry(R"(\n\*crier ([a-z-]+)[ *])");
  auto tree = cli_tree();
  for (std::sregex_iterator it(man.begin(), man.end(), entry), end; it != end; ++it) {
    INFO("man page entry " << (*it)[1]);
    CHECK(tree.count((*it)[1]) == 1);
  }
}

TEST_CASE("crier(1) documents every exit code", "[docs]") {
  std::string man = source("man/crier.1.scd");
  for (const char* code : {"*0*", "*1*", "*2*", "*3*", "*4*", "*5*", "*6*", "*75*"}) CHECK(man.find(code) != std::string::npos);
}

TEST_CASE("crier-config(5) documents every key and its environment variable", "[docs]") {
  // crier's own keys in the page; a network's in its folder (NAME.5.scd, spliced in at build).
  std::string man = source("man/crier-config.5.scd");
  CHECK(man.find("@NETWORKS@") != std::string::npos);
  for (const auto& k : config_keys()) {
    INFO(k.name);
    std::string name(k.name);
    const ProviderInfo* owner = nullptr;
    for (const auto& info : provider_table())
      for (const auto& pk : info.config_keys)
        if (pk.name == k.name) owner = &info;
    std::string page =
        owner ? source("providers/" + std::string(owner->name) + "/" + std::string(owner->name) + ".5.scd")
              : man;
    CHECK(page.find("*" + name + "*") != std::string::npos);
    if (owner) CHECK(man.find("*" + name + "*") == std::string::npos);  // not by hand in the page
    if (!k.env.empty()) CHECK(page.find(std::string(k.env)) != std::string::npos);
  }
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Commands and, per command, verbs as each completion script lists them.
struct Listed {
  std::vector<std::string> commands;
  std::map<std::string, std::vector<std::string>> verbs;
};

Listed listed(const std::string& text, const std::regex& commands_re, const std::regex& verbs_re) {
  Listed l;
  std::smatch m;
  if (std::regex_search(text, m, commands_re)) l.commands = split_words(m[1].str());
  for (std::sregex_iterator it(text.begin(), text.end(), verbs_re), end; it != end; ++it)
    l.verbs[(*it)[1].str()] = split_words((*it)[2].str());
  return l;
}

void check_listed(const Listed& l) {
  auto tree = cli_tree();
  std::vector<std::string> commands;
  for (const auto& c : command_table()) commands.emplace_back(c.name);
  CHECK(l.commands == commands);
  for (const auto& [cmd, verbs] : tree) {
    INFO("command " << cmd);
    if (cmd == "completion") continue;  // its argument is a shell, listed separately
    if (verbs.empty()) {
      CHECK(l.verbs.count(cmd) == 0);
    } else {
      REQUIRE(l.verbs.count(cmd) == 1);
      CHECK(std::set<std::string>(l.verbs.at(cmd).begin(), l.verbs.at(cmd).end()) ==
            std::set<std::string>(verbs.begin(), verbs.end()));
    }
  }
}

}  // namespace

TEST_CASE("the completions list exactly the commands and verbs of the CLI", "[docs]") {
  SECTION("bash") {
    std::string text = source("completions/crier.bash");
    CHECK(embedded_file("completions/crier.bash") == text);
    check_listed(listed(text, std::regex(R"re(local commands="([^"]*)")re"),
                        std::regex(R"re(\n\s+([a-z]+)\) verbs="([^"]*)")re")));
  }
  SECTION("zsh") {
    std::string text = source("completions/_crier");
    CHECK(embedded_file("completions/_crier") == text);
    Listed l = listed(text, std::regex("(?!x)x"), std::regex(R"(\n\s+([a-z]+)\) verbs=\(([^)]*)\))"));
    std::regex entry(R"(\n\s+'([a-z]+):)");
    for (std::sregex_iterator it(text.begin(), text.end(), entry), end; it != end; ++it) l.commands.push_back((*it)[1]);
    check_listed(l);
  }
  SECTION("fish") {
    std::string text = source("completions/crier.fish");
    CHECK(embedded_file("completions/crier.fish") == text);
    check_listed(listed(text, std::regex(R"(set -l crier_commands ([a-z ]+))"),
                        std::regex(R"re(__fish_seen_subcommand_from ([a-z]+)" -a "([^"]*)")re")));
  }
}

TEST_CASE("no command or completion names a network by hand: they read the provider table", "[docs]") {
  // The sandbox is crier's own offline network (hints and the demo name it on purpose); the
  // command table's examples are documentation. Everything else learns networks from the table.
  std::vector<std::string> files{"completions/crier.bash", "completions/_crier", "completions/crier.fish"};
  for (const auto& e : std::filesystem::directory_iterator(std::string(CRIER_SOURCE_DIR) + "/commands")) {
    std::string name = e.path().filename().string();
    if (name != "command_table.cpp" && name != "cmd_demo.cpp") files.push_back("commands/" + name);
  }
  for (const auto& f : files) {
    std::string text = source(f);
    for (const auto& info : provider_table()) {
      if (info.name == "sandbox") continue;
      INFO(f << " names " << info.name);
      CHECK(text.find(std::string(info.name)) == std::string::npos);
    }
  }
  // Each network's manual entry is in its folder, spliced into crier(1) at build time; the
  // manual's own NETWORKS section names none of them.
  std::string man = source("man/crier.1.scd");
  std::string section =
      man.substr(man.find("# NETWORKS"), man.find("# EXIT STATUS") - man.find("# NETWORKS"));
  CHECK(section.find("@NETWORKS@") != std::string::npos);
  for (const auto& info : provider_table()) {
    INFO(info.name);
    std::string entry =
        source("providers/" + std::string(info.name) + "/" + std::string(info.name) + ".1.scd");
    CHECK(entry.find("\n*" + std::string(info.name) + "*\n") != std::string::npos);
    CHECK(section.find("*" + std::string(info.name) + "*") == std::string::npos);
  }
  // A provider's own config keys are crier's config keys: listed, checked, documented.
  for (const auto& info : provider_table())
    for (const auto& k : info.config_keys) CHECK(find_config_key(k.name) == &*std::find_if(
        config_keys().begin(), config_keys().end(), [&](const ConfigKey& c) { return c.name == k.name; }));
}
