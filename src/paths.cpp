#include "paths.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "error.hpp"

namespace crier {
namespace fs = std::filesystem;
namespace {

fs::path home_dir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0')
    throw Error(ErrorKind::config, "HOME is not set", "set HOME, or XDG_CONFIG_HOME and XDG_DATA_HOME");
  return home;
}

fs::path xdg(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  if (v != nullptr && *v == '/') return v;  // the spec says relative values are ignored
  return home_dir() / fallback;
}

}  // namespace

fs::path config_dir() { return xdg("XDG_CONFIG_HOME", ".config") / "crier"; }
fs::path data_dir() { return xdg("XDG_DATA_HOME", ".local/share") / "crier"; }
fs::path default_config_path() { return config_dir() / "config.toml"; }
fs::path default_db_path() { return data_dir() / "crier.db"; }

namespace {

// A full disk or quota is temporary (try later, nothing is lost); anything else is a failure.
[[noreturn]] void write_failed(const fs::path& path, int err) {
  std::string msg = "cannot write '" + path.string() + "': " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT)
    throw Error(ErrorKind::temporary, msg, "free some space and run the command again; nothing was lost");
  if (err == EROFS) throw Error(ErrorKind::config, msg, "the file system is read-only");
  throw Error(ErrorKind::internal, msg);
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content, fs::perms mode) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // Unique per process and thread, so concurrent writers never share a temp file.
  static std::atomic<unsigned> counter{0};
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  // A new file only (never through a link someone left at the name), with its mode from birth.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) write_failed(path, errno);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      write_failed(path, saved);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  int synced = ::fsync(fd), sync_errno = errno;
  int closed = ::close(fd);
  if (synced != 0 || closed != 0) {
    int saved = synced != 0 ? sync_errno : errno;
    ::unlink(tmp.c_str());
    write_failed(path, saved);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    write_failed(path, saved);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, "cannot read '" + path.string() + "': no such file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace crier
