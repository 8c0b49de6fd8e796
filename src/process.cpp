#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "redact.hpp"

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
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  bool bounded = o.timeout.count() > 0;
  if (bounded) {  // its own group, so that what it starts can be killed with it
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  }
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, c_argv[0], &fa, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
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
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + o.timeout;
  std::optional<clock::time_point> exited_at;  // the child is gone; its children may linger
  int status = 0;
  bool reaped = false;
  auto kill_group = [&] {
    ::kill(-pid, SIGKILL);
    result.timed_out = true;
  };
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    int wait_ms = -1;
    if (bounded) {
      if (!reaped && ::waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;
        exited_at = clock::now();
      }
      auto now = clock::now();
      // Output still held open 200 ms after the child exited belongs to something it left
      // running: that is not waited for.
      if (now >= deadline || (exited_at && now - *exited_at > std::chrono::milliseconds{200})) {
        if (!reaped) kill_group();
        else ::kill(-pid, SIGKILL);
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      wait_ms = static_cast<int>(std::min<long long>(left, 50));
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) continue;
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
        std::string& sink = fd == out_fd ? result.out : result.err;
        if (sink.size() < o.max_output) sink.append(buf, std::min(static_cast<size_t>(r), o.max_output - sink.size()));
        if (fd == err_fd && o.on_stderr) o.on_stderr(std::string_view(buf, static_cast<size_t>(r)));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(fd);
        (fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd})
    if (fd >= 0) ::close(fd);
  if (!reaped)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string secret_from_command(const std::string& setting, const std::string& command, std::chrono::seconds timeout) {
  ProcessOptions po;
  po.timeout = timeout;
  po.max_output = 64 * 1024;
  ProcessResult r;
  try {
    r = run_process({"/bin/sh", "-c", command}, po);
  } catch (const Error& e) {
    throw Error(ErrorKind::config, setting + " could not be run: " + e.what(), "check the command in your config");
  }
  if (r.timed_out && r.exit_code != 0)
    throw Error(ErrorKind::config,
                setting + " did not finish within " + std::to_string(timeout.count()) + " s (it was stopped)",
                "check the command, or give it longer: crier config set general.command_timeout_seconds N");
  if (r.exit_code != 0) {
    std::string why = r.err.substr(0, r.err.find('\n'));
    throw Error(ErrorKind::config, setting + " failed (exit " + std::to_string(r.exit_code) + ")" +
                                       (why.empty() ? "" : ": " + why),
                "check the command in your config");
  }
  std::string line = r.out.substr(0, r.out.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  if (line.empty())
    throw Error(ErrorKind::config, setting + " printed nothing", "it should print the secret on its first line");
  remember_secret(line);
  return line;
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
