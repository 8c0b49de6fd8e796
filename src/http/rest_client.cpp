#include "http/rest_client.hpp"

#include "error.hpp"

namespace crier {

HttpResponse RestClient::send_any(const HttpRequest& q, std::string_view what) {
  m_pacer.before(q, what, m_clock.now());
  HttpResponse r = m_http.send(q);
  m_pacer.observe(q, r, m_clock.now());
  return r;
}

HttpResponse RestClient::send(const HttpRequest& q, std::string_view what) {
  HttpResponse r = send_any(q, what);
  throw_for_status(r, what, m_clock.now());
  return r;
}

nlohmann::json RestClient::send_json(const HttpRequest& q, std::string_view what) { return json_of(send(q, what), what); }

nlohmann::json RestClient::json_of(const HttpResponse& r, std::string_view what) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    throw Error(ErrorKind::transient, std::string(what) + ": the server sent something that is not JSON");
  return j;
}

}  // namespace crier
