// OAuth's loopback redirect (RFC 8252, section 7.3): a one-shot HTTP listener on 127.0.0.1
// that catches the browser coming back with ?code=...&state=... . Plain POSIX sockets, so the
// binary does not link an HTTP server library for one request in its lifetime.
#pragma once

#include <chrono>
#include <string>

namespace crier {

// The out-of-band redirect: the network shows the code on a page for the user to paste.
inline constexpr const char* k_oauth_oob_redirect = "urn:ietf:wg:oauth:2.0:oob";

class LoopbackRedirect {
 public:
  // Binds 127.0.0.1 on an ephemeral port (or on `port`, for a network that wants the exact
  // redirect URI registered with it); `state` is what the answer must carry back.
  // Throws Error(network) when it cannot listen.
  explicit LoopbackRedirect(std::string state, std::string path = "/callback", int port = 0);
  ~LoopbackRedirect();
  LoopbackRedirect(const LoopbackRedirect&) = delete;
  LoopbackRedirect& operator=(const LoopbackRedirect&) = delete;

  // "http://127.0.0.1:PORT/callback"
  std::string redirect_uri() const;

  // Waits until the browser arrives at the redirect URI, or a line is read from paste_fd (-1 for
  // none): either the bare code or the whole address the browser was sent to (for a browser on
  // another machine, where the redirect cannot reach this one). Returns the code.
  // Throws Error(auth) when the sign-in was refused or the answer's state is not ours,
  // Error(transient) when nothing came within `timeout`.
  std::string wait_for_code(int paste_fd, std::chrono::milliseconds timeout);

 private:
  // nullopt-like empty string: the request was not the redirect (favicon etc.), keep waiting.
  std::string serve_one(int client);
  std::string code_from_query(const std::string& target) const;

  int m_fd = -1;
  int m_port = 0;
  std::string m_path;
  std::string m_state;
};

// A fresh random value for an authorization request's `state` parameter (128 bits, hex).
std::string oauth_state();

// Picks the code out of what a user pasted: a bare code, or an address with ?code=. When the
// address carries a state, it must equal `state`.
std::string code_from_pasted(const std::string& pasted, const std::string& state);

}  // namespace crier
