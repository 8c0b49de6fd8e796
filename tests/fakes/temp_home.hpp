// Temporary directories and running the real crier binary in a temp HOME (end-to-end tests).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace crier::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// A HOME with XDG dirs for running crier as a user would.
class CrierHome {
 public:
  explicit CrierHome(std::string binary);
  // Runs crier with args; env adds to (or, with nullopt, removes from) the home's environment.
  ProcessResult run(const std::vector<std::string>& args, std::optional<std::string> stdin_text = std::nullopt,
                    const std::map<std::string, std::optional<std::string>>& env = {}) const;
  // Runs crier on a pseudo-terminal `cols` columns wide (stdin, stdout and stderr are the
  // terminal, as in a user's shell); returns what the terminal showed, "\r\n" read as "\n".
  // `input` is typed in; NO_COLOR is unset unless extra sets it.
  ProcessResult run_tty(const std::vector<std::string>& args, int cols = 120,
                        const std::map<std::string, std::optional<std::string>>& extra = {},
                        const std::string& input = "") const;
  // Starts crier without waiting (output discarded); returns the pid for kill()/waitpid().
  int spawn(const std::vector<std::string>& args) const;
  // Runs with --json and parses stdout; fails the test when it is not JSON.
  nlohmann::json json(const std::vector<std::string>& args,
                      const std::map<std::string, std::optional<std::string>>& env = {}) const;

  std::filesystem::path home() const { return m_dir.path(); }
  std::filesystem::path config_file() const { return m_dir.path() / "config/crier/config.toml"; }
  std::filesystem::path db_file() const { return m_dir.path() / "data/crier/crier.db"; }
  std::filesystem::path data_dir() const { return m_dir.path() / "data/crier"; }
  // The sandbox network's state (what was really "sent").
  nlohmann::json sandbox_state() const;

  std::map<std::string, std::optional<std::string>> env;  // applied to every run

 private:
  TempDir m_dir;
  std::string m_binary;
};

}  // namespace crier::testing
