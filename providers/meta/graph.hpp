// What Meta's networks share: the Graph API's error objects, its calls, and the two-step
// container publishing of Threads and Instagram (create a container, wait until it is FINISHED,
// publish it), with every container kept in the delivery's progress as soon as it exists so a
// retry publishes it instead of making a second post.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock.hpp"
#include "http/rest_client.hpp"
#include "http/transport.hpp"
#include "provider/provider.hpp"

namespace crier::meta {

using nlohmann::json;

// A Graph API call for `network` ("threads", "instagram", "facebook"): the token in the
// Authorization header (never in the URL), errors mapped to crier's kinds by Meta's codes.
class Graph {
 public:
  Graph(RestClient& rest, std::string network) : m_rest(rest), m_network(std::move(network)) {}

  json get(const std::string& url, const std::string& token, std::string_view what);
  json post(const std::string& url, const FormFields& form, const std::string& token, std::string_view what);
  // Any status; for a caller that reads the error itself (a token exchange).
  HttpResponse send(HttpRequest request, const std::string& token, std::string_view what);
  // Throws what a non-2xx answer means: auth (190 and permission codes, with a reconnect hint),
  // rate_limited (4, 17, 32, 613, 80001-80014), transient (1, 2, 5xx), not_found, invalid_input
  // for a media URL Meta cannot fetch, permanent otherwise with the server's message.
  [[noreturn]] void fail(const HttpResponse& response, std::string_view what) const;

  const std::string& network() const { return m_network; }
  const Clock& clock() const { return m_rest.clock(); }

 private:
  RestClient& m_rest;
  std::string m_network;
};

// One step of a post: a container (with its carousel children), then the published media.
struct ContainerState {
  std::vector<std::string> children;  // carousel items' containers, in order
  std::string container;              // the post's container
  std::string media;                  // the published post's id ("" until published)
  std::string url;
};

// The delivery's progress, one entry per part (thread chains have several).
std::vector<ContainerState> read_progress(const std::string& progress);
std::string write_progress(const std::vector<ContainerState>& parts);

// Waits for a container to be ready, polling `status_of` (which returns Meta's status code:
// IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED) with backoff for at most `max_wait`.
// Returns the final status; throws Error(transient) when it is still IN_PROGRESS then (the
// container is kept: the next attempt waits for it again), Error(invalid_input) for ERROR with
// the network's reason.
std::string wait_until_ready(const std::function<std::pair<std::string, std::string>()>& status_of,
                             std::chrono::milliseconds max_wait, const std::string& what);

// Graph timestamps: "2024-01-01T18:20:00+0000".
Timestamp parse_graph_time(const std::string& s);

// The quota Meta reports (threads_publishing_limit, content_publishing_limit): throws
// Error(rate_limited) with the time until the oldest post in the window ages out, when used up.
void check_quota(const json& answer, const std::string& usage_key, const std::string& config_key,
                 const std::string& what, Timestamp now);

}  // namespace crier::meta
