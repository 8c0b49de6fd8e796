// Browser sign-in from a terminal: the provider's authorization address is printed (and opened
// in $BROWSER or with xdg-open when there is a display), the code comes back on a loopback
// redirect, or the user pastes it (or the address the browser ended on).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "http/loopback_redirect.hpp"
#include "provider/provider.hpp"

namespace crier {

struct SignInOptions {
  bool paste_code = false;    // --paste-code: out-of-band page, no listener
  bool open_browser = true;   // false with --no-browser
  bool read_terminal = true;  // a pasted line on stdin is accepted (stdin is a terminal)
  int timeout_seconds = 300;
};

class TerminalSignIn : public BrowserSignIn {
 public:
  TerminalSignIn(std::ostream& err, std::istream& in, SignInOptions options);
  std::string redirect_uri() override;
  void use_port(int port) override { m_port = port; }
  std::string state() override;
  std::string code_for(const std::string& authorize_url) override;

  // Whether anything can come of a sign-in here: someone at the terminal, or a browser to open.
  static bool possible(const SignInOptions& options);

 private:
  LoopbackRedirect& listener();  // opened on first use: a network without OAuth never binds a port

  std::ostream& m_err;
  std::istream& m_in;
  SignInOptions m_options;
  std::string m_state = oauth_state();
  int m_port = 0;  // 0: any
  std::unique_ptr<LoopbackRedirect> m_listener;
};

}  // namespace crier
