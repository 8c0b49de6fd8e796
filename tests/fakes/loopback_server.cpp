#include "fakes/loopback_server.hpp"

#include <chrono>
#include <stdexcept>

namespace crier::testing {

LoopbackServer::LoopbackServer() {
  m_server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return m_pre ? m_pre(req, res) : httplib::Server::HandlerResponse::Unhandled;
  });
  // Recorded after the body is read and before the answer is written, so a client that has
  // its answer can rely on the record.
  m_server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_requests.push_back({req.method, req.path, req.body, req.headers});
  });
}

LoopbackServer::~LoopbackServer() {
  m_server.stop();
  if (m_thread.joinable()) m_thread.join();
}

std::string LoopbackServer::start() {
  m_port = m_server.bind_to_any_port("127.0.0.1");
  if (m_port <= 0) throw std::runtime_error("cannot bind a loopback port");
  m_thread = std::thread([this] { m_server.listen_after_bind(); });
  // stop() before the accept loop runs would be lost and the destructor would hang.
  while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return "http://127.0.0.1:" + std::to_string(m_port);
}

std::vector<RecordedRequest> LoopbackServer::requests() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_requests;
}

}  // namespace crier::testing
