#include "process.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"

extern char** environ;

namespace crier {
namespace {

std::vector<std::string> build_env(const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (changes.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [k, v] : changes)
    if (v) env.push_back(k + "=" + *v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv_in, const ProcessOptions& o) {
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = build_env(o.env);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (o.stdin_text) {
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::internal, "pipe failed");
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  } else if (o.capture) {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  if (o.capture) {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
      throw Error(ErrorKind::internal, "pipe failed");
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  }
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, c_argv[0], &fa, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&fa);
  for (int fd : {in_pipe[0], out_pipe[1], err_pipe[1]})
    if (fd >= 0) ::close(fd);
  if (rc != 0) {
    for (int fd : {in_pipe[1], out_pipe[0], err_pipe[0]})
      if (fd >= 0) ::close(fd);
    throw Error(ErrorKind::internal, "cannot run '" + argv[0] + "': " + std::strerror(rc));
  }

  ProcessResult result;
  // Feed stdin and drain stdout/stderr together, so no pipe fills up and blocks the child.
  std::string input = o.stdin_text.value_or("");
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (in_fd >= 0 && input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  if (in_fd >= 0) ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  ::signal(SIGPIPE, SIG_IGN);
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == in_fd) {
        ssize_t w = ::write(fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0) {
        (fd == out_fd ? result.out : result.err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(fd);
        (fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int spawn_detached(const std::vector<std::string>& argv_in,
                   const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = build_env(changes);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // Ctrl-C in crier's terminal does not reach the browser
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, c_argv[0], &fa, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? static_cast<int>(pid) : -1;
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "crier";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace crier
