#include "fakes/temp_home.hpp"

#include <cstdlib>

#include <catch2/catch.hpp>

#include "paths.hpp"

namespace crier::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "crier-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

CrierHome::CrierHome(std::string binary) : m_binary(std::move(binary)) {
  env["HOME"] = m_dir.path().string();
  env["XDG_CONFIG_HOME"] = (m_dir.path() / "config").string();
  env["XDG_DATA_HOME"] = (m_dir.path() / "data").string();
  env["CRIER_TIMEZONE"] = "UTC";
  env["NO_COLOR"] = "1";
  for (const char* v : {"CRIER_DB", "CRIER_CONFIG", "CRIER_NOW", "CRIER_TO", "CRIER_SANDBOX_FAULT",
                        "CRIER_LLM_ENDPOINT", "CRIER_LLM_BACKEND", "CRIER_SANDBOX_SPEED", "VISUAL", "EDITOR"})
    env[v] = std::nullopt;
}

ProcessResult CrierHome::run(const std::vector<std::string>& args, std::optional<std::string> stdin_text,
                             const std::map<std::string, std::optional<std::string>>& extra) const {
  ProcessOptions o;
  o.env = env;
  for (const auto& [k, v] : extra) o.env[k] = v;
  o.stdin_text = std::move(stdin_text);
  std::vector<std::string> argv{m_binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, o);
}

int CrierHome::spawn(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{m_binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn_detached(argv, env);
}

nlohmann::json CrierHome::json(const std::vector<std::string>& args,
                               const std::map<std::string, std::optional<std::string>>& extra) const {
  std::vector<std::string> a = args;
  a.push_back("--json");
  auto r = run(a, std::nullopt, extra);
  INFO("crier " << Catch::Detail::stringify(a) << "\nstdout: " << r.out << "\nstderr: " << r.err);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

nlohmann::json CrierHome::sandbox_state() const {
  fs::path p = data_dir() / "sandbox/network.json";
  if (!fs::exists(p)) return nlohmann::json::object();
  return nlohmann::json::parse(read_file(p));
}

}  // namespace crier::testing
