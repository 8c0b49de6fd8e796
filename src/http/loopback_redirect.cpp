#include "http/loopback_redirect.hpp"

#include <cerrno>
#include <cstring>
#include <random>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.hpp"
#include "http/transport.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

void send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the browser went away; nothing to do about it
    off += static_cast<size_t>(n);
  }
}

void answer(int fd, int status, const std::string& title, const std::string& text) {
  std::string body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>crier</title></head><body><h1>" +
                     title + "</h1><p>" + text + "</p></body></html>\n";
  std::string reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                   "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + body);
}

// Reads the request head (up to 16 KiB, 5 s); returns the request target or "" on garbage.
std::string read_target(int fd) {
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return {};
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  // "GET /callback?code=...&state=... HTTP/1.1"
  size_t sp1 = head.find(' ');
  size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || head.compare(0, sp1, "GET") != 0) return {};
  return head.substr(sp1 + 1, sp2 - sp1 - 1);
}

}  // namespace

std::string oauth_state() {
  std::random_device rd;  // /dev/urandom on Linux
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s += hex[rd() % 16];
  return s;
}

LoopbackRedirect::LoopbackRedirect(std::string state, std::string path, int port)
    : m_path(std::move(path)), m_state(std::move(state)) {
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd >= 0 && port > 0) {
    int on = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port > 0 && port < 65536 ? port : 0));
  socklen_t len = sizeof addr;
  if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 8) != 0 ||
      ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    if (m_fd >= 0) ::close(m_fd);
    throw Error(
        ErrorKind::network,
        std::string("cannot listen on 127.0.0.1") + (port > 0 ? ":" + std::to_string(port) : std::string()) +
            " for the sign-in redirect: " + std::strerror(err),
        port > 0 ? "is another program using that port? free it, or register another port with the network"
                 : "use --paste-code to paste the code instead");
  }
  m_port = ntohs(addr.sin_port);
}

LoopbackRedirect::~LoopbackRedirect() {
  if (m_fd >= 0) ::close(m_fd);
}

std::string LoopbackRedirect::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(m_port) + m_path;
}

std::string LoopbackRedirect::code_from_query(const std::string& target) const {
  std::string error = query_param(target, "error");
  if (!error.empty()) {
    std::string why = query_param(target, "error_description");
    throw Error(ErrorKind::auth, "sign-in was not allowed (" + (why.empty() ? error : why) + ")",
                "run the command again and allow crier in the browser");
  }
  if (query_param(target, "state") != m_state)
    throw Error(ErrorKind::auth, "the sign-in answer does not belong to this request (state mismatch)",
                "run the command again; if it happens again, something else is answering on this machine");
  std::string code = query_param(target, "code");
  if (code.empty()) throw Error(ErrorKind::auth, "the sign-in answer carries no code");
  return code;
}

std::string LoopbackRedirect::serve_one(int client) {
  std::string target = read_target(client);
  if (target.rfind(m_path, 0) != 0 || (target.size() > m_path.size() && target[m_path.size()] != '?')) {
    answer(client, 404, "Not here", "crier is waiting for the sign-in at " + m_path + ".");
    return {};
  }
  try {
    std::string code = code_from_query(target);
    answer(client, 200, "Signed in", "crier has what it needs. You can close this tab.");
    return code;
  } catch (const Error& e) {
    answer(client, 400, "Sign-in failed", "See the terminal: crier says what to do next.");
    throw;
  }
}

std::string LoopbackRedirect::wait_for_code(int paste_fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string pasted;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw Error(ErrorKind::transient, "no sign-in arrived within " +
                                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                                            " s",
                  "run the command again; with a browser on another machine use --paste-code");
    pollfd fds[2] = {{m_fd, POLLIN, 0}, {paste_fd, POLLIN, 0}};
    int n = ::poll(fds, paste_fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR)
      throw Error(ErrorKind::internal, std::string("waiting for the sign-in failed: ") + std::strerror(errno));
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string code;
      try {
        code = serve_one(client);
      } catch (...) {
        ::close(client);
        throw;
      }
      ::close(client);
      if (!code.empty()) return code;
    }
    if (paste_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char c = 0;
      ssize_t r = ::read(paste_fd, &c, 1);  // byte by byte: nothing past the line is consumed
      if (r <= 0) {
        paste_fd = -1;  // end of input: keep waiting for the browser alone
      } else if (c != '\n') {
        pasted += c;
      } else if (!trim_whitespace(pasted).empty()) {
        return code_from_pasted(pasted, m_state);
      }
    }
  }
}

std::string code_from_pasted(const std::string& pasted_in, const std::string& state) {
  std::string pasted = trim_whitespace(pasted_in);
  if (pasted.find("code=") == std::string::npos) return pasted;
  if (pasted.find('?') == std::string::npos) pasted = "?" + pasted;  // "code=...&state=..." alone
  std::string st = query_param(pasted, "state");
  if (!st.empty() && !state.empty() && st != state)
    throw Error(ErrorKind::auth, "the pasted address does not belong to this sign-in (state mismatch)",
                "paste the address from the browser tab this command opened");
  std::string code = query_param(pasted, "code");
  if (code.empty()) throw Error(ErrorKind::auth, "the pasted address carries no code");
  return code;
}

}  // namespace crier
