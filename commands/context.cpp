#include "context.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "log.hpp"
#include "output/table.hpp"
#include "paths.hpp"
#include "provider/external.hpp"
#include "redact.hpp"
#include "time/when.hpp"

namespace crier {
namespace fs = std::filesystem;

Context::Context(std::ostream& o, std::ostream& e, std::istream& i, GlobalOptions global)
    : raw_out(o),
      raw_err(e),
      m_out_buf(o),
      m_err_buf(e),
      m_out(&m_out_buf),
      m_err(&m_err_buf),
      out(m_out),
      err(m_err),
      in(i),
      m_global(std::move(global)) {}

Context::~Context() {
  stop_external_providers();  // plugins get EOF and a moment to finish, then are stopped
  progress("");
  m_out.flush();
  m_err.flush();
}

fs::path Context::config_path() const {
  if (!m_global.config_path.empty()) return m_global.config_path;
  if (const char* env = std::getenv("CRIER_CONFIG"); env != nullptr && *env != '\0') return env;
  return default_config_path();
}

Config& Context::config() {
  if (!m_config) {
    // A config the user named (--config, CRIER_CONFIG) must be there, unless this command makes it.
    bool named = !m_global.config_path.empty() || (std::getenv("CRIER_CONFIG") && *std::getenv("CRIER_CONFIG"));
    m_config = Config::load(config_path(), named && !m_may_create_config);
    if (!m_global.db_path.empty()) m_config->set_override("store.path", m_global.db_path);
    for (const auto& w : m_config->warnings()) spdlog::warn("{}", w);
    set_external_provider_timeout(
        std::chrono::seconds{m_config->get_int("general.provider_timeout_seconds")});
  }
  return *m_config;
}

fs::path Context::db_path() {
  std::string p = config().get("store.path");
  return p.empty() ? default_db_path() : fs::path(p);
}

fs::path Context::data_dir() {
  // Media copies and the sandbox network live beside the database.
  fs::path db = db_path();
  return db.has_parent_path() ? db.parent_path() : fs::path(".");
}

Store& Context::store() {
  // crier's own path: a link planted at the name is refused; a path the user named is theirs.
  if (!m_store) m_store = open_sqlite_store(db_path(), -1, !config().get("store.path").empty());
  return *m_store;
}

Store* Context::existing_store() {
  if (m_store) return m_store.get();
  std::error_code ec;
  if (!fs::exists(db_path(), ec)) return nullptr;
  return &store();
}

const Clock& Context::clock() {
  if (!m_clock) m_clock = clock_from_environment();
  return *m_clock;
}

Transport& Context::http() {
  if (!m_http) {
    CurlOptions o;
    o.timeout = std::chrono::seconds{config().get_int("http.timeout_seconds")};
    o.max_body = static_cast<size_t>(config().get_int("http.max_body_bytes"));
    m_http = make_curl_transport(o);
  }
  return *m_http;
}

Pacer& Context::pacer() {
  if (!m_pacer)
    m_pacer = std::make_unique<Pacer>(std::chrono::seconds{10},
                                      std::chrono::seconds{config().get_int("publish.max_wait_seconds")});
  return *m_pacer;
}

ProviderSet& Context::providers() {
  pacer();
  if (!m_providers)
    m_providers = std::make_unique<ProviderSet>(ProviderEnv{http(), clock(), config(), data_dir(), m_pacer.get()});
  return *m_providers;
}

Engine& Context::engine() {
  if (!m_engine) m_engine.reset(new Engine{store(), providers(), clock(), config(), data_dir()});
  return *m_engine;
}

std::function<std::unique_ptr<WorkerKit>()> Context::worker_factory() {
  if (m_http_injected) return nullptr;
  // Resolved here, on the main thread: the workers only read them.
  auto path = db_path();
  auto dir = data_dir();
  const Clock& c = clock();
  const Config& conf = config();
  auto timeout = std::chrono::seconds{conf.get_int("http.timeout_seconds")};
  auto max_body = static_cast<size_t>(conf.get_int("http.max_body_bytes"));
  Pacer* pacer = &this->pacer();
  return [path, dir, &c, &conf, timeout, max_body, pacer] {
    auto kit = std::make_unique<WorkerKit>();
    kit->store = open_sqlite_store(path, -1, true);  // the main thread has checked the path
    CurlOptions o;
    o.timeout = timeout;
    o.max_body = max_body;
    kit->http = make_curl_transport(o);
    kit->providers = std::make_unique<ProviderSet>(ProviderEnv{*kit->http, c, conf, dir, pacer});
    kit->engine.reset(new Engine{*kit->store, *kit->providers, c, conf, dir});
    return kit;
  };
}

const Style& Context::style() {
  if (!m_style) {
    std::string setting = "auto";
    try {
      setting = config().get("general.color");
    } catch (const std::exception&) {
    }
    bool is_stdout = &raw_out == &std::cout;
    m_style.emplace(is_stdout && want_color(setting, m_global.no_color, STDOUT_FILENO));
    m_out_buf.allow_style(m_style->enabled());
  }
  return *m_style;
}

const date::time_zone* Context::time_zone() {
  if (!m_tz) m_tz = resolve_time_zone(config().get("general.timezone"));
  return m_tz;
}

size_t Context::terminal_width() {
  if (&raw_out != &std::cout || ::isatty(STDOUT_FILENO) != 1) return 0;
  if (const char* c = std::getenv("COLUMNS"); c != nullptr && *c != '\0') {
    char* end = nullptr;
    long n = std::strtol(c, &end, 10);
    if (*end == '\0' && n >= 20 && n <= 10000) return static_cast<size_t>(n);
  }
  winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

void Context::print_table(const Table& table) { table.print(out, terminal_width()); }

void Context::progress(const std::string& what) {
  if (m_global.quiet || m_global.json || &raw_err != &std::cerr || ::isatty(STDERR_FILENO) != 1) return;
  // Its own line, redrawn: carriage return and erase-line are crier's, the words may be a
  // network's (an account name), so those are made safe first.
  if (what.empty() && !m_progress_shown) return;
  err.flush();
  raw_err << "\r\x1b[K";
  if (!what.empty()) raw_err << redact_known(terminal_safe(redact_known(what))) << std::flush;
  m_progress_shown = !what.empty();
  if (what.empty()) raw_err << std::flush;
}

void Context::info(const std::string& line) {
  if (!m_global.quiet) out << line << '\n';
}

void Context::print_json(const nlohmann::json& j) {
  out.flush();
  raw_out << json_safe(redact_known(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))) << '\n';
}

}  // namespace crier
