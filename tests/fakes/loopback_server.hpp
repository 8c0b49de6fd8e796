// A real HTTP server on 127.0.0.1 with an ephemeral port (cpp-httplib), for tests of the curl
// transport and end-to-end tests of the binary. Handlers are added before start(); every
// request is recorded.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace crier::testing {

struct RecordedRequest {
  std::string method, path, body;
  httplib::Headers headers;
};

class LoopbackServer {
 public:
  LoopbackServer();
  ~LoopbackServer();
  // Add routes here. Use set_pre_handler, not the server's set_pre_routing_handler, which
  // would replace the recording of requests.
  httplib::Server& server() { return m_server; }
  void set_pre_handler(httplib::Server::HandlerWithResponse handler) { m_pre = std::move(handler); }
  // Binds 127.0.0.1:0 and serves in a thread; returns the base URL ("http://127.0.0.1:PORT").
  std::string start();
  std::vector<RecordedRequest> requests();

 private:
  httplib::Server m_server;
  httplib::Server::HandlerWithResponse m_pre;
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<RecordedRequest> m_requests;
  int m_port = 0;
};

}  // namespace crier::testing
