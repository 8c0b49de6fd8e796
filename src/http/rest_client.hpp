// The one way a provider talks to its network's API. Every request goes through the shared
// pacer (the network's rate-limit window, for every thread of the process), its answer is
// observed, a non-2xx becomes the Error it means (kind, the server's code and message, its
// Retry-After), and a body that should be JSON is parsed or reported - so no call can skip
// pacing, limits or error mapping. Pages and images from elsewhere (link cards) are not API
// calls and use the transport directly.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "clock.hpp"
#include "http/pacer.hpp"
#include "http/transport.hpp"

namespace crier {

class RestClient {
 public:
  RestClient(Transport& http, Pacer& pacer, const Clock& clock) : m_http(http), m_pacer(pacer), m_clock(clock) {}

  // Paced and observed; throws for a non-2xx status. `what` names the call in errors.
  HttpResponse send(const HttpRequest& request, std::string_view what);
  // The same, returning any status: for a caller that handles some itself (an expired token).
  HttpResponse send_any(const HttpRequest& request, std::string_view what);
  // send() and the answer's JSON; Error(transient) when it is not JSON.
  nlohmann::json send_json(const HttpRequest& request, std::string_view what);
  // The JSON of an answer; Error(transient) naming `what` when it is not JSON.
  static nlohmann::json json_of(const HttpResponse& response, std::string_view what);

  const Clock& clock() const { return m_clock; }

 private:
  Transport& m_http;
  Pacer& m_pacer;
  const Clock& m_clock;
};

}  // namespace crier
