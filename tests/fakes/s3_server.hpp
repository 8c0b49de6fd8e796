// A real S3-compatible server on 127.0.0.1 (the npm package s3rver, installed into
// tests/servers by scripts/install-deps.sh), with one bucket, for tests of the media store.
// Objects it holds are served to anyone (as a public bucket), so the Meta fakes can fetch them.
#pragma once

#include <filesystem>
#include <string>

#include "fakes/temp_home.hpp"

namespace crier::testing {

class S3Server {
 public:
  static constexpr const char* k_bucket = "crier-media";
  static constexpr const char* k_access_key = "S3RVER";
  static constexpr const char* k_secret_key = "S3RVER";
  // Starts it and waits until it listens; fails the test (with what to install) when it cannot.
  explicit S3Server(std::string bucket = k_bucket);
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;
  const std::string& url() const { return m_url; }  // http://127.0.0.1:PORT
  // Where s3rver keeps the bucket's objects on disk (to count them).
  std::filesystem::path objects_dir() const { return m_dir.path() / "data" / m_bucket; }
  size_t object_count() const;
  // The [media] settings for a config file, as TOML lines.
  std::string config_toml() const;

 private:
  TempDir m_dir;
  std::string m_bucket;
  int m_pid = -1;
  std::string m_url;
};

}  // namespace crier::testing
