#include "fakes/temp_home.hpp"

#include <cerrno>
#include <cstdlib>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "paths.hpp"

extern char** environ;

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

ProcessResult CrierHome::run_tty(const std::vector<std::string>& args, int cols,
                                 const std::map<std::string, std::optional<std::string>>& extra,
                                 const std::string& input) const {
  auto all = env;
  all["NO_COLOR"] = std::nullopt;
  all["TERM"] = "xterm-256color";
  all["COLUMNS"] = std::nullopt;  // the terminal's own size says it
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (all.count(entry.substr(0, entry.find('='))) == 0) envs.push_back(entry);
  }
  for (const auto& [k, v] : all)
    if (v) envs.push_back(k + "=" + *v);
  std::vector<std::string> argv{m_binary};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : envs) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = 40;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  if (!input.empty()) (void)!::write(master, input.data(), input.size());
  ProcessResult r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      r.out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EIO: the child closed the terminal
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (size_t p; (p = r.out.find("\r\n")) != std::string::npos;) r.out.replace(p, 2, "\n");
  if (!input.empty() && r.out.rfind(input, 0) == 0) r.out.erase(0, input.size());  // the terminal's echo
  return r;
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
