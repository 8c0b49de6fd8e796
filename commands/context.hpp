// What a command's run function gets: streams, global options and lazy access to config,
// store, clock, HTTP, providers and the engine. Nothing is opened until a command asks, so
// `crier version` never touches the disk and `crier publish --due` opens only the database.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "clock.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "engine/publisher.hpp"
#include "http/pacer.hpp"
#include "http/transport.hpp"
#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "provider/provider.hpp"
#include "store/store.hpp"

namespace date {
class time_zone;
}

namespace crier {

struct GlobalOptions {
  std::string config_path;  // --config
  std::string db_path;      // --db
  bool json = false;        // --json
  bool quiet = false;       // -q
  int verbosity = 0;        // -v, -vv
  bool no_color = false;    // --no-color
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err, std::istream& in, GlobalOptions global);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The streams as given (the terminal, a pipe, a test's buffer): for JSON (print_json) and
  // for progress lines that redraw themselves.
  std::ostream& raw_out;
  std::ostream& raw_err;

 private:
  SafeOutput m_out_buf;
  SafeOutput m_err_buf;
  std::ostream m_out;
  std::ostream m_err;

 public:
  // Human output: known secrets redacted, control characters from the outside made visible.
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  const GlobalOptions& global() const { return m_global; }

  Config& config();
  // This command writes the config file (init, config set|edit): a --config that does not
  // exist yet is fine. Call before config().
  void may_create_config() { m_may_create_config = true; }
  std::filesystem::path config_path() const;
  std::filesystem::path db_path();
  std::filesystem::path data_dir();
  // Opens (creating and migrating as needed) the database.
  Store& store();
  // The database if its file exists, else nullptr; never creates it.
  Store* existing_store();
  const Clock& clock();
  Transport& http();
  Pacer& pacer();
  ProviderSet& providers();
  Engine& engine();
  const Style& style();
  const date::time_zone* time_zone();

  // Makes what one publishing thread needs: its own store connection, transport and providers.
  // Empty when a transport was injected (tests): then publishing stays on this thread.
  std::function<std::unique_ptr<WorkerKit>()> worker_factory();

  // Human output helpers: nothing is printed with -q.
  void info(const std::string& line);
  // Columns of the terminal stdout is (COLUMNS, else the terminal's own size); 0 when stdout
  // is not a terminal - a pipe or a file gets whole cells.
  size_t terminal_width();
  // A line on stderr that says what long work is doing, redrawn in place; only when stderr is
  // a terminal and neither -q nor --json is given. progress("") clears it.
  void progress(const std::string& what);
  void print_table(const class Table& table);
  void print_json(const nlohmann::json& j);

  // For tests: inject a clock or transport before first use.
  void set_clock(std::unique_ptr<Clock> c) { m_clock = std::move(c); }
  void set_transport(std::unique_ptr<Transport> t) {
    m_http = std::move(t);
    m_http_injected = true;
  }

 private:
  GlobalOptions m_global;
  bool m_may_create_config = false;
  bool m_progress_shown = false;
  std::optional<Config> m_config;
  std::unique_ptr<Store> m_store;
  std::unique_ptr<Clock> m_clock;
  std::unique_ptr<Transport> m_http;
  bool m_http_injected = false;
  std::unique_ptr<Pacer> m_pacer;  // shared by the providers of every thread
  std::unique_ptr<ProviderSet> m_providers;
  std::unique_ptr<Engine> m_engine;
  std::optional<Style> m_style;
  const date::time_zone* m_tz = nullptr;
};

}  // namespace crier
