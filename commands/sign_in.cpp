#include "sign_in.hpp"

#include <cstdlib>
#include <istream>
#include <ostream>

#include <unistd.h>

#include "error.hpp"
#include "process.hpp"

namespace crier {
namespace {

bool has_env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

bool browser_available() {
  return has_env("BROWSER") || has_env("DISPLAY") || has_env("WAYLAND_DISPLAY");
}

// $BROWSER may carry arguments ("firefox --new-tab"); the address goes in as "$1", so nothing in
// it is ever read by the shell.
bool open_browser(const std::string& url) {
  if (has_env("BROWSER")) return spawn_detached({"/bin/sh", "-c", "exec $BROWSER \"$1\"", "sh", url}) > 0;
  return spawn_detached({"xdg-open", url}) > 0;
}

}  // namespace

TerminalSignIn::TerminalSignIn(std::ostream& err, std::istream& in, SignInOptions options)
    : m_err(err), m_in(in), m_options(options) {}

bool TerminalSignIn::possible(const SignInOptions& o) {
  if (o.paste_code) return o.read_terminal;
  return o.read_terminal || (o.open_browser && browser_available());
}

LoopbackRedirect& TerminalSignIn::listener() {
  if (!m_listener) m_listener = std::make_unique<LoopbackRedirect>(m_state, "/callback", m_port);
  return *m_listener;
}

std::string TerminalSignIn::redirect_uri() {
  return m_options.paste_code ? k_oauth_oob_redirect : listener().redirect_uri();
}

std::string TerminalSignIn::state() {
  return m_state;
}

std::string TerminalSignIn::code_for(const std::string& url) {
  if (m_options.paste_code) {
    m_err << "Open this address, allow crier, and paste the code shown:\n  " << url << "\ncode: " << std::flush;
    std::string line;
    std::getline(m_in, line);
    return code_from_pasted(line, m_state);
  }
  bool opened = m_options.open_browser && browser_available() && open_browser(url);
  m_err << (opened ? "Opened your browser; if it did not show up, open this address and allow crier:\n  "
                   : "Open this address in a browser and allow crier:\n  ")
        << url << '\n';
  if (m_options.read_terminal)
    m_err << "Waiting for the browser... (browser on another machine? paste the address it ends on here)\n";
  m_err << std::flush;
  return listener().wait_for_code(m_options.read_terminal ? STDIN_FILENO : -1,
                                  std::chrono::seconds(m_options.timeout_seconds));
}

}  // namespace crier
