#include "fakes/s3_server.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "process.hpp"

namespace crier::testing {

namespace fs = std::filesystem;

S3Server::S3Server(std::string bucket) : m_bucket(std::move(bucket)) {
  fs::path servers = fs::path(CRIER_TEST_SOURCE_DIR) / "tests/servers";
  if (!fs::exists(servers / "node_modules/s3rver"))
    throw std::runtime_error("s3rver is not installed: run scripts/install-deps.sh (npm ci in tests/servers)");
  fs::path port_file = m_dir.path() / "port";
  fs::create_directories(m_dir.path() / "data");
  m_pid = spawn_detached({"node", (servers / "s3rver.js").string(), "--dir", (m_dir.path() / "data").string(),
                          "--bucket", m_bucket, "--port-file", port_file.string()});
  if (m_pid <= 0) throw std::runtime_error("cannot start node for s3rver");
  for (int i = 0; i < 200 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ifstream in(port_file);
  int port = 0;
  in >> port;
  if (port <= 0) {
    ::kill(m_pid, SIGKILL);
    throw std::runtime_error("s3rver did not start within 10 s");
  }
  m_url = "http://127.0.0.1:" + std::to_string(port);
}

S3Server::~S3Server() {
  if (m_pid > 0) {
    ::kill(-m_pid, SIGTERM);
    ::kill(m_pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(-m_pid, SIGKILL);
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, &status, 0);
  }
}

size_t S3Server::object_count() const {
  size_t n = 0;
  if (!fs::exists(objects_dir())) return 0;
  for (const auto& e : fs::recursive_directory_iterator(objects_dir()))
    if (e.is_regular_file() && e.path().string().ends_with("._S3rver_object")) ++n;  // + .md5, _metadata.json
  return n;
}

std::string S3Server::config_toml() const {
  return std::string("[media]\nstore = \"s3\"\ns3_endpoint = \"") + m_url + "\"\ns3_bucket = \"" + m_bucket +
         "\"\ns3_path_style = true\ns3_access_key_id = \"" + k_access_key + "\"\n";
}

}  // namespace crier::testing
