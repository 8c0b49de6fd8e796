#include "provider/external.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include "error.hpp"
#include "paths.hpp"
#include "provider/json_read.hpp"
#include "redact.hpp"
#include "text/text_rules.hpp"

extern char** environ;

namespace crier {
namespace {

using nlohmann::json;
namespace jr = json_read;

std::atomic<long long> g_timeout_seconds{120};
constexpr size_t k_max_line = 64 * 1024 * 1024;  // one answer; a plugin sending more is broken

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return n.front() != '-' && n.front() != '_';
}

bool executable_file(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::vector<std::filesystem::path> search_dirs() {
  std::vector<std::filesystem::path> dirs{data_dir() / "providers"};
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (!dir.empty()) dirs.emplace_back(std::string(dir));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

std::optional<std::filesystem::path> find_file(std::string_view name) {
  if (!valid_name(name)) return std::nullopt;
  for (const auto& dir : search_dirs()) {
    auto p = dir / ("crier-provider-" + std::string(name));
    if (executable_file(p)) return p;
  }
  return std::nullopt;
}

// One running plugin: requests out on its stdin, answers in on its stdout, its stderr into
// crier's log. One call at a time.
class PluginProcess {
 public:
  PluginProcess(std::string name, std::filesystem::path path)
      : m_name(std::move(name)), m_path(std::move(path)) {}
  ~PluginProcess() { stop(); }
  PluginProcess(const PluginProcess&) = delete;
  PluginProcess& operator=(const PluginProcess&) = delete;

  // The result of `method`, or throws: the plugin's own error as crier's kind, or
  // Error(transient) when it did not answer properly (it is stopped; the next call starts it
  // again). Transient: a publish that got no answer may have happened, so the engine reconciles.
  json call(const std::string& method, json params) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_pid <= 0) start();
    long long id = ++m_next_id;
    json request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    std::string line = request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{g_timeout_seconds.load()};
    if (!write_all(line, deadline)) fail(method, "stopped reading its input" + last_words());
    for (;;) {
      std::string answer;
      Outcome got = read_line(answer, deadline);
      if (got == Outcome::timeout)
        fail(method, "did not answer within " + std::to_string(g_timeout_seconds.load()) +
                         " s (it was stopped; general.provider_timeout_seconds)");
      if (got == Outcome::closed) fail(method, exit_description() + last_words());
      if (got == Outcome::too_long) fail(method, "sent an answer longer than 64 MiB");
      json msg = json::parse(answer, nullptr, false);
      if (msg.is_discarded() || !msg.is_object() || jr::str(msg, "jsonrpc") != "2.0")
        fail(method, "printed something that is not a JSON-RPC 2.0 message: '" + preview(answer) + "'");
      const json& got_id = jr::at(msg, "id");
      if (!got_id.is_number_integer() || got_id.get<long long>() != id) {
        // A notification (no id) is a log line in disguise; an answer to another id is a bug.
        if (got_id.is_null() && msg.contains("method")) {
          spdlog::debug("provider {}: {}", m_name, preview(answer));
          continue;
        }
        fail(method,
             "answered request " + preview(got_id.dump()) + " while crier asked " + std::to_string(id));
      }
      if (msg.contains("error")) throw error_from(method, jr::at(msg, "error"));
      if (!msg.contains("result")) fail(method, "answered with neither a result nor an error");
      return msg["result"];
    }
  }

  void stop() {
    if (m_pid <= 0) return;
    close_fd(m_in);  // EOF: a well-behaved plugin finishes and exits
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{500};
    int status = 0;
    bool reaped = m_reaped;
    while (!reaped && std::chrono::steady_clock::now() < until) {
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        reaped = true;
        break;
      }
      drain_stderr(10);
    }
    ::kill(-m_pid, SIGKILL);
    if (!reaped)
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
    close_fd(m_out);
    close_fd(m_err);
    m_pid = -1;
    m_buffer.clear();
  }

 private:
  enum class Outcome { line, timeout, closed, too_long };

  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  void start() {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw Error(ErrorKind::internal, "cannot start provider '" + m_name + "': pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group: a timeout stops what it started too, and Ctrl-C reaches crier first.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::strncmp(*e, "CRIER_PROVIDER_PROTOCOL=", 24) != 0) env.emplace_back(*e);
    env.push_back("CRIER_PROVIDER_PROTOCOL=" + std::to_string(k_provider_protocol));
    std::vector<char*> c_env;
    for (auto& s : env) c_env.push_back(s.data());
    c_env.push_back(nullptr);
    std::string path = m_path.string();
    char* argv[] = {path.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, path.c_str(), &fa, &attr, argv, c_env.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      ::close(err[0]);
      throw Error(ErrorKind::config,
                  "cannot start provider '" + m_name + "' (" + path + "): " + std::strerror(rc),
                  "check that it is an executable program");
    }
    ::signal(SIGPIPE, SIG_IGN);
    m_pid = pid;
    m_reaped = false;
    m_in = in[1];
    m_out = out[0];
    m_err = err[0];
    for (int fd : {m_in, m_out, m_err}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    m_stderr_tail.clear();
    spdlog::debug("provider {}: started {} (pid {})", m_name, path, pid);
  }

  static int ms_left(std::chrono::steady_clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
  }

  bool write_all(const std::string& data, std::chrono::steady_clock::time_point deadline) {
    size_t done = 0;
    while (done < data.size()) {
      pollfd fds[2] = {{m_in, POLLOUT, 0}, {m_err, POLLIN, 0}};
      int wait = ms_left(deadline);
      if (wait == 0) return false;
      int r = ::poll(fds, m_err >= 0 ? 2 : 1, wait);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      if (fds[1].revents != 0) drain_stderr(0);
      if (fds[0].revents & (POLLERR | POLLHUP)) return false;
      if (fds[0].revents & POLLOUT) {
        ssize_t w = ::write(m_in, data.data() + done, data.size() - done);
        if (w > 0)
          done += static_cast<size_t>(w);
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
          return false;
      }
    }
    return true;
  }

  Outcome read_line(std::string& line, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto nl = m_buffer.find('\n');
      if (nl != std::string::npos) {
        line = m_buffer.substr(0, nl);
        m_buffer.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines are nothing
        return Outcome::line;
      }
      if (m_buffer.size() > k_max_line) return Outcome::too_long;
      if (m_out < 0) return Outcome::closed;
      int wait = ms_left(deadline);
      if (wait == 0) return Outcome::timeout;
      pollfd fds[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};
      int r = ::poll(fds, m_err >= 0 ? 2 : 1, wait);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      if (m_err >= 0 && fds[1].revents != 0) drain_stderr(0);
      if (fds[0].revents != 0) {
        char buf[65536];
        ssize_t n = ::read(m_out, buf, sizeof buf);
        if (n > 0)
          m_buffer.append(buf, static_cast<size_t>(n));
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
          close_fd(m_out);
      }
    }
  }

  // Its stderr is its log: each line to crier's (debug) log, the last few kept for errors.
  void drain_stderr(int wait_ms) {
    if (m_err < 0) return;
    if (wait_ms > 0) {
      pollfd fd{m_err, POLLIN, 0};
      if (::poll(&fd, 1, wait_ms) <= 0) return;
    }
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(m_err, buf, sizeof buf);
      if (n == 0) {
        close_fd(m_err);
        break;
      }
      if (n < 0) break;
      m_err_buffer.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = m_err_buffer.find('\n')) != std::string::npos) {
        log_line(m_err_buffer.substr(0, nl));
        m_err_buffer.erase(0, nl + 1);
      }
      if (m_err_buffer.size() > 4096) {
        log_line(m_err_buffer);
        m_err_buffer.clear();
      }
    }
  }

  void log_line(std::string line) {
    if (line.empty()) return;
    spdlog::debug("provider {}: {}", m_name, line);
    m_stderr_tail.push_back(std::move(line));
    if (m_stderr_tail.size() > 3) m_stderr_tail.pop_front();
  }

  std::string last_words() {
    drain_stderr(20);
    if (m_stderr_tail.empty()) return "";
    return "; it said: " + preview(m_stderr_tail.back());
  }

  std::string exit_description() {
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_reaped = true;
        if (WIFSIGNALED(status)) return "died of signal " + std::to_string(WTERMSIG(status));
        return "exited (status " + std::to_string(WEXITSTATUS(status)) + ") without answering";
      }
      ::usleep(10'000);
    }
    return "closed its output without answering";
  }

  static std::string preview(std::string s) {
    if (s.size() > 200) s = s.substr(0, 200) + "...";
    return s;
  }

  [[noreturn]] void fail(const std::string& method, const std::string& what) {
    std::string message = "provider '" + m_name + "' " + what + " (in " + method + ")";
    stop_after_failure();
    throw Error(ErrorKind::transient, message,
                "the plugin " + m_path.string() + " is broken or stuck; crier -vv shows its log");
  }

  void stop_after_failure() {
    if (m_pid > 0) {
      ::kill(-m_pid, SIGKILL);  // with whatever it started
      int status = 0;
      if (!m_reaped)
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    close_fd(m_in);
    close_fd(m_out);
    close_fd(m_err);
    m_pid = -1;
    m_buffer.clear();
  }

  Error error_from(const std::string& method, const json& e) {
    std::string message = jr::str(e, "message");
    if (message.empty()) message = "failed";
    const json& data = jr::at(e, "data");
    auto kind = error_kind_from_string(jr::str(data, "kind"));
    // A plugin may not claim crier's own kinds for itself (usage, config of crier, internal):
    // what it reports is about the network.
    ErrorKind k = kind.value_or(ErrorKind::permanent);
    if (k == ErrorKind::usage || k == ErrorKind::internal || k == ErrorKind::temporary)
      k = ErrorKind::permanent;
    Error err(k, m_name + ": " + message, jr::str(data, "hint"));
    if (std::string code = jr::str(data, "code"); !code.empty()) err.with_code(code);
    const json& ra = jr::at(data, "retry_after");
    if (ra.is_number()) {
      double s = std::clamp(ra.get<double>(), 0.0, 7.0 * 86400);
      err.with_retry_after(std::chrono::seconds{static_cast<long long>(s + 0.999)});
    }
    spdlog::debug("provider {}: {} failed: {}", m_name, method, message);
    return err;
  }

  std::string m_name;
  std::filesystem::path m_path;
  std::mutex m_mutex;
  pid_t m_pid = -1;
  bool m_reaped = false;  // waited for already (it exited): only its group is left to stop
  int m_in = -1, m_out = -1, m_err = -1;
  long long m_next_id = 0;
  std::string m_buffer, m_err_buffer;
  std::deque<std::string> m_stderr_tail;
};

// What a plugin said of itself, kept for the run (string_views in `info` point into it).
struct ExternalEntry {
  std::string name, summary, connect_hint, version, path;
  std::deque<std::string> strings;  // option names and help
  std::vector<PostOption> options;
  Capabilities caps;
  json rules;  // text_rules as described
  ProviderInfo info;
  std::shared_ptr<PluginProcess> process;
  // How a call reaches it: the process, or (fuzzing) a function.
  std::function<json(const std::string& method, json params)> call;
};

std::mutex g_registry_mutex;
std::deque<std::shared_ptr<ExternalEntry>>& registry() {
  static std::deque<std::shared_ptr<ExternalEntry>> r;
  return r;
}

void set_capability(Capabilities& c, std::string_view n) {
  std::pair<std::string_view, bool Capabilities::*> table[] = {
      {"images", &Capabilities::images},
      {"threads", &Capabilities::threads},
      {"link_cards", &Capabilities::link_cards},
      {"inbox_replies", &Capabilities::inbox_replies},
      {"inbox_mentions", &Capabilities::inbox_mentions},
      {"inbox_dms", &Capabilities::inbox_dms},
      {"reply", &Capabilities::reply},
      {"send_dm", &Capabilities::send_dm},
      {"post_metrics", &Capabilities::post_metrics},
      {"account_metrics", &Capabilities::account_metrics},
      {"native_idempotency", &Capabilities::native_idempotency},
      {"title", &Capabilities::title},
      {"title_required", &Capabilities::title_required},
  };
  for (const auto& [name, member] : table)
    if (name == n) c.*member = true;  // a capability crier does not know yet is left out
}

// Reads what describe answered into the entry; throws Error(config) for what cannot be used.
void fill_from_description(ExternalEntry* e, const json& d) {
  const std::string& name = e->name;
  auto broken = [&](const std::string& why) {
    return Error(ErrorKind::config,
                 "provider '" + name + "' (" + e->path + ") described itself wrongly: " + why,
                 "see crier-provider(7) for what describe answers");
  };
  if (!d.is_object()) throw broken("the result is not an object");
  const json& protocol = jr::at(d, "protocol");
  if (!protocol.is_number_integer() || protocol.get<long long>() != k_provider_protocol)
    throw broken("it speaks protocol " +
                 (protocol.is_null() ? std::string("(none given)") : protocol.dump()) + ", crier speaks " +
                 std::to_string(k_provider_protocol));
  if (std::string n = jr::str(d, "name"); n != name)
    throw broken("its name is '" + n + "', its file says '" + name + "'");
  e->summary = checked_text(jr::str(d, "summary"), "its summary");
  e->version = checked_text(jr::str(d, "version"), "its version");
  e->connect_hint = jr::str(d, "connect_hint");
  if (e->connect_hint.empty())
    e->connect_hint = "crier accounts add " + name + " --handle HANDLE --secret-stdin";
  for (const auto& c : jr::list(d, "capabilities"))
    if (c.is_string()) set_capability(e->caps, c.get<std::string>());
  e->rules = jr::at(d, "text_rules");
  if (!e->rules.is_object()) throw broken("text_rules is missing");
  for (const auto& o : jr::list(d, "options")) {
    std::string oname = jr::str(o, "name");
    if (!valid_name(oname)) throw broken("an option has no usable name ('" + oname + "')");
    std::string type = jr::str(o, "type");
    PostOption po;
    po.type = type == "boolean"  ? PostOption::Type::boolean
              : type == "number" ? PostOption::Type::number
                                 : PostOption::Type::text;
    po.required = jr::at(o, "required").is_boolean() && jr::at(o, "required").get<bool>();
    po.name = e->strings.emplace_back(oname);
    po.help = e->strings.emplace_back(jr::str(o, "help"));
    e->options.push_back(po);
  }
  e->info.name = e->name;
  e->info.summary = e->summary;
  e->info.make = nullptr;
  e->info.connect_hint = e->connect_hint;
  e->info.post_options = e->options;
  e->info.path = e->path;
  e->info.version = e->version;
}

std::shared_ptr<ExternalEntry> describe(const std::string& name, const std::filesystem::path& path) {
  auto e = std::make_shared<ExternalEntry>();
  e->name = name;
  e->path = path.string();
  e->process = std::make_shared<PluginProcess>(name, path);
  e->call = [p = e->process](const std::string& method, json params) {
    return p->call(method, std::move(params));
  };
  json d;
  try {
    d = e->call("describe", {{"protocol", k_provider_protocol}});
  } catch (const Error& err) {
    throw Error(ErrorKind::config,
                "provider '" + name + "' (" + e->path + ") could not describe itself: " + err.what(),
                "fix or remove the plugin; crier -vv shows its log");
  }
  fill_from_description(e.get(), d);
  return e;
}

std::shared_ptr<ExternalEntry> entry_for(std::string_view name) {
  for (auto& e : registry())
    if (e->name == name) return e;
  return nullptr;
}

// ---- the provider ----

std::string iso(Timestamp t) {
  return t == Timestamp{} ? std::string() : format_utc(t);
}

json account_json(const Account& a) {
  json settings = json::parse(a.settings, nullptr, false);
  if (!settings.is_object()) settings = json::object();
  return {{"id", a.id}, {"handle", a.handle}, {"server", a.server}, {"settings", settings}};
}

json item_json(const RemoteItem& i) {
  json meta = json::parse(i.meta, nullptr, false);
  if (meta.is_discarded()) meta = json::object();
  return {{"kind", i.kind},
          {"remote_id", i.remote_id},
          {"thread_id", i.thread_id},
          {"parent_remote_id", i.parent_remote_id},
          {"author", i.author},
          {"author_name", i.author_name},
          {"text", i.text},
          {"url", i.url},
          {"created_at", iso(i.created_at)},
          {"meta", meta}};
}

Timestamp time_of(const json& j, std::string_view key) {
  auto t = parse_iso8601(jr::str(j, key));
  return t ? *t : Timestamp{};
}

class ExternalProvider final : public Provider {
 public:
  explicit ExternalProvider(std::shared_ptr<ExternalEntry> e) : m_keep(e), m_e(*e) {}

  std::string_view name() const override { return m_e.name; }
  Capabilities capabilities() const override { return m_e.caps; }

  TextRules text_rules(const Account&) const override {
    const json& r = m_e.rules;
    TextRules t;
    auto number = [&](const char* key, auto& field) {
      const json& v = jr::at(r, key);
      if (v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0))
        field = static_cast<std::remove_reference_t<decltype(field)>>(v.get<long long>());
    };
    number("max_length", t.max_length);
    number("max_bytes", t.max_bytes);
    number("max_images", t.max_images);
    number("max_image_bytes", t.max_image_bytes);
    if (!m_e.caps.images) t.max_images = 0;
    std::string unit = jr::str(r, "unit");
    if (unit == "characters" || unit == "codepoints") {
      t.unit = "characters";
      t.count = [](std::string_view s) { return count_codepoints(s); };
    } else if (unit == "utf16") {
      t.unit = "UTF-16 units";
      t.count = [](std::string_view s) {
        size_t n = 0;
        for (unsigned char c : s)
          if ((c & 0xC0) != 0x80) n += (c >= 0xF0) ? 2 : 1;
        return n;
      };
    } else if (unit == "bytes") {
      t.unit = "bytes";
      t.count = [](std::string_view s) { return s.size(); };
    }
    t.notes = jr::str(r, "notes");
    if (jr::at(r, "image_types").is_array()) {
      t.image_types.clear();
      for (const auto& m : jr::list(r, "image_types"))
        if (m.is_string()) t.image_types.push_back(m.get<std::string>());
    }
    if (jr::at(r, "text_required").is_boolean()) t.text_required = jr::at(r, "text_required").get<bool>();
    return t;
  }

  Connected connect(const ConnectRequest& q) override {
    if (!q.secret.empty()) remember_secrets_in(q.secret);
    json r = call("connect", {{"handle", q.handle}, {"server", q.server}, {"secret", q.secret}});
    Connected c;
    c.handle = jr::str(r, "handle");
    c.server = jr::str(r, "server");
    c.display_name = jr::str(r, "display_name");
    c.secret = jr::str(r, "secret");
    const json& settings = jr::at(r, "settings");
    c.settings = settings.is_object() ? settings.dump() : "{}";
    if (c.handle.empty()) throw broken("connect", "no handle");
    remember_secrets_in(c.secret);
    return c;
  }

  void verify(Session& s) override { session_call(s, "verify", json::object()); }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    json r = session_call(s, "publish", {{"request", request_json(q)}});
    PublishResult out;
    for (const auto& p : jr::list(r, "parts"))
      out.parts.push_back({jr::str(p, "remote_id"), jr::str(p, "url")});
    // Unknown outcome: the post may exist (crier-provider(7), "publish").
    if (out.parts.size() != q.parts.size() ||
        std::any_of(out.parts.begin(), out.parts.end(), [](const auto& p) { return p.remote_id.empty(); }))
      throw Error(ErrorKind::transient, m_e.name + " answered publish without an id for every part",
                  "crier will look for the post before sending it again");
    return out;
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    json r = session_call(s, "reconcile", {{"request", request_json(q)}});
    // Candidates, best first; crier takes the first not recorded for another delivery.
    for (const auto& c : jr::list(r, "candidates")) {
      PublishResult found;
      for (const auto& p : jr::list(c, "parts"))
        found.parts.push_back({jr::str(p, "remote_id"), jr::str(p, "url")});
      if (found.parts.empty() || found.parts.size() > q.parts.size()) continue;
      if (std::any_of(found.parts.begin(), found.parts.end(),
                      [](const auto& p) { return p.remote_id.empty(); }))
        continue;
      if (q.taken && q.taken(found.parts[0].remote_id)) continue;
      return found;
    }
    return std::nullopt;
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    if (!has(stream)) return Provider::fetch_inbox(s, stream, cursor);
    json r = session_call(s, "fetch_inbox", {{"stream", std::string(to_string(stream))}, {"cursor", cursor}});
    InboxPage page;
    for (const auto& i : jr::list(r, "items")) {
      RemoteItem it;
      it.kind = jr::str(i, "kind");
      it.remote_id = jr::str(i, "remote_id");
      if (it.remote_id.empty() || it.kind.empty()) continue;  // nothing to answer or keep
      it.thread_id = jr::str(i, "thread_id");
      it.parent_remote_id = jr::str(i, "parent_remote_id");
      it.author = jr::str(i, "author");
      it.author_name = jr::str(i, "author_name");
      it.text = jr::str(i, "text");
      it.url = jr::str(i, "url");
      it.created_at = time_of(i, "created_at");
      const json& meta = jr::at(i, "meta");
      it.meta = meta.is_object() ? meta.dump() : "{}";
      page.items.push_back(std::move(it));
    }
    page.next_cursor = jr::str(r, "next_cursor");
    page.more = jr::at(r, "more").is_boolean() && jr::at(r, "more").get<bool>();
    return page;
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text,
                      const std::string& key) override {
    if (!m_e.caps.reply) return Provider::reply(s, to, text, key);
    json r = session_call(s, "reply", {{"to", item_json(to)}, {"text", text}, {"idempotency_key", key}});
    PublishedPart p{jr::str(r, "remote_id"), jr::str(r, "url")};
    if (p.remote_id.empty())
      throw Error(ErrorKind::transient, m_e.name + " answered reply without an id",
                  "the answer may have been sent");
    return p;
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    if (!m_e.caps.post_metrics) return Provider::post_metrics(s, ids);
    json r = session_call(s, "post_metrics", {{"remote_ids", ids}});
    std::vector<PostStats> out;
    for (const auto& p : jr::list(r, "posts")) {
      PostStats st;
      st.remote_id = jr::str(p, "remote_id");
      if (st.remote_id.empty()) continue;
      st.likes = jr::count(p, "likes");
      st.reposts = jr::count(p, "reposts");
      st.replies = jr::count(p, "replies");
      st.quotes = jr::count(p, "quotes");
      if (jr::at(p, "views").is_number()) st.views = jr::count(p, "views");
      const json& ratio = jr::at(p, "upvote_ratio");
      if (ratio.is_number() && ratio.get<double>() >= 0 && ratio.get<double>() <= 1)
        st.upvote_ratio = ratio.get<double>();
      out.push_back(st);
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    if (!m_e.caps.account_metrics) return Provider::account_metrics(s);
    json r = session_call(s, "account_metrics", json::object());
    AccountStats a;
    a.followers = jr::count(r, "followers");
    if (jr::at(r, "following").is_number()) a.following = jr::count(r, "following");
    if (jr::at(r, "posts").is_number()) a.posts = jr::count(r, "posts");
    if (jr::at(r, "score").is_number()) a.score = jr::count(r, "score");
    return a;
  }

 private:
  bool has(InboxStream s) const {
    return s == InboxStream::replies    ? m_e.caps.inbox_replies
           : s == InboxStream::mentions ? m_e.caps.inbox_mentions
                                        : m_e.caps.inbox_dms;
  }

  Error broken(const std::string& method, const std::string& what) const {
    return Error(ErrorKind::transient, m_e.name + " answered " + method + " with " + what,
                 "see crier-provider(7) for what " + method + " answers");
  }

  json call(const std::string& method, json params) {
    json r = m_e.call(method, std::move(params));
    return r.is_object() ? r : json::object();
  }

  // A call made with an account's credentials; a secret in the answer replaces the stored one.
  json session_call(Session& s, const std::string& method, json params) {
    remember_secrets_in(s.secret);
    params["account"] = account_json(s.account);
    params["secret"] = s.secret;
    json r = call(method, std::move(params));
    if (std::string fresh = jr::str(r, "secret"); !fresh.empty() && fresh != s.secret) {
      remember_secrets_in(fresh);
      s.secret = fresh;
      s.save_secret(fresh);
    }
    return r;
  }

  static json request_json(const PublishRequest& q) {
    json parts = json::array();
    for (const auto& p : q.parts) {
      json media = json::array();
      for (const auto& m : p.media)
        media.push_back({{"path", m.path},
                         {"mime", m.mime},
                         {"alt", m.alt},
                         {"bytes", m.bytes},
                         {"width", m.width},
                         {"height", m.height}});
      parts.push_back({{"text", p.text}, {"media", media}});
    }
    json already = json::array();
    for (const auto& a : q.already) already.push_back({{"remote_id", a.remote_id}, {"url", a.url}});
    return {{"idempotency_key", q.idempotency_key},
            {"parts", parts},
            {"created_at", iso(q.created_at)},
            {"lang", q.lang},
            {"visibility", q.visibility},
            {"content_warning", q.content_warning},
            {"link_card", q.link_card},
            {"title", q.title},
            {"options", q.options},
            {"attempt_started", iso(q.attempt_started)},
            {"not_before", iso(q.not_before == Timestamp{} ? q.attempt_started : q.not_before)},
            {"already", already}};
  }

  std::shared_ptr<ExternalEntry> m_keep;
  ExternalEntry& m_e;
};

}  // namespace

void set_external_provider_timeout(std::chrono::seconds timeout) {
  g_timeout_seconds = std::max<long long>(timeout.count(), 1);
}

std::vector<ExternalProviderFile> find_external_providers() {
  std::map<std::string, std::filesystem::path> found;
  for (const auto& dir : search_dirs()) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string file = it->path().filename().string();
      if (file.rfind("crier-provider-", 0) != 0) continue;
      std::string name = file.substr(15);
      if (!valid_name(name) || found.count(name) || !executable_file(it->path())) continue;
      found.emplace(name, it->path());
    }
  }
  std::vector<ExternalProviderFile> out;
  for (auto& [n, p] : found) out.push_back({n, p});
  return out;
}

const ProviderInfo* external_provider_info(std::string_view name) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  if (auto e = entry_for(name)) return &e->info;
  auto path = find_file(name);
  if (!path) return nullptr;
  registry().push_back(describe(std::string(name), *path));
  return &registry().back()->info;
}

std::unique_ptr<Provider> make_external_provider(ProviderEnv&, const ProviderInfo& info) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto e = entry_for(info.name);
  if (e == nullptr) throw Error(ErrorKind::internal, "no external provider '" + std::string(info.name) + "'");
  return std::make_unique<ExternalProvider>(e);
}

std::unique_ptr<Provider> external_provider_for_fuzzing(
    const nlohmann::json& description, std::function<nlohmann::json(const std::string&)> answer) {
  auto e = std::make_shared<ExternalEntry>();
  e->name = jr::str(description, "name");
  e->path = "(fuzzing)";
  e->call = [answer = std::move(answer)](const std::string& method, json) { return answer(method); };
  fill_from_description(e.get(), description);
  return std::make_unique<ExternalProvider>(e);
}

void stop_external_providers() {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  for (auto& e : registry())
    if (e->process) e->process->stop();
}

}  // namespace crier
