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

namespace crier {
class Config;
}

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

// How one network makes, checks and publishes containers (Threads and Instagram differ in the
// paths and the status field, not in the steps).
struct ContainerApi {
  std::string network;  // "threads", in messages
  // POST the fields; the new container's id ("" when the answer names none).
  std::function<std::string(const FormFields& fields, std::string_view what)> create;
  // Its status code and, for ERROR, the reason.
  std::function<std::pair<std::string, std::string>(const std::string& container)> status;
  // Publishes it; the post's id ("" when the answer names none).
  std::function<std::string(const std::string& container)> publish;
  std::function<std::string(const std::string& media)> permalink;  // "" when not known
  // The post a container marked PUBLISHED made, found among the account's own (nullopt: not listed).
  std::function<std::optional<PublishedPart>()> find_published;
  std::chrono::milliseconds max_wait{60000};
};

// What one post is made of: its own fields, and each carousel item's (none: not a carousel).
struct ContainerPlan {
  FormFields post;
  std::vector<FormFields> items;
};

// Publishes one post in steps, going on from `st` (what earlier attempts made) and calling
// `save` after each new id: carousel items, the container, waiting until it is FINISHED, then
// publishing it. A container from an earlier attempt is published rather than made again; one
// PUBLISHED already is looked for (find_published); one EXPIRED is made anew. `plan` is asked
// for only when a container must be made (it may upload images).
PublishedPart publish_container(const ContainerApi& api, ContainerState& st,
                                const std::function<ContainerPlan()>& plan, const std::function<void()>& save);

// The items after `cursor`, oldest first, and the cursor that follows them. The cursor is the
// newest time seen and the ids seen in that second ("T:id,id"): Graph times are whole seconds,
// so an item that comes later in the same second is not lost, and none is given twice.
InboxPage page_after(std::vector<RemoteItem> items, const std::string& cursor);

// Answers a message through the Messenger platform (Pages and Instagram): POST `url`
// (".../{page}/messages") to the item's sender (meta "sender_id"), inside Meta's window - 24
// hours after the person's last message, or 7 days with the HUMAN_AGENT tag when the item's
// meta says a person answers ("human_agent") - and refused before sending outside it.
PublishedPart send_message(Graph& graph, const std::string& url, const std::string& token, const RemoteItem& to,
                           const std::string& text, Timestamp now);

// The user's own Meta app, for signing in with the browser: NETWORK.app_id, the secret printed
// by NETWORK.app_secret_cmd (run only when needed) and the loopback port of the redirect URI
// registered with the app (NETWORK.redirect_port). nullopt when NETWORK.app_id is not set.
struct MetaApp {
  std::string id;
  std::string secret;
  int redirect_port = 0;
};
std::optional<MetaApp> meta_app(const Config& config, const std::string& network);

// A long-lived token from signing in with the browser, and how long it lives (0: not said).
struct SignedIn {
  std::string token;
  long long expires_in = 0;
};
// Facebook Login (Pages, and Instagram through a Page): the dialog, the code exchanged for a
// user token, that exchanged for a long-lived one (fb_exchange_token). `server` "" is Meta's.
SignedIn facebook_login(Graph& graph, const std::string& server, const MetaApp& app, BrowserSignIn& sign_in,
                        const std::string& scopes);
// Threads: its own authorization page, token endpoint and th_exchange_token.
SignedIn threads_login(Graph& graph, const std::string& server, const MetaApp& app, BrowserSignIn& sign_in,
                       const std::string& scopes);

// Graph timestamps: "2024-01-01T18:20:00+0000".
Timestamp parse_graph_time(const std::string& s);

// The quota Meta reports (threads_publishing_limit, content_publishing_limit): when it is used
// up, throws Error(rate_limited) with the time until the oldest post in the window ages out
// (`oldest_since(start)` lists the account's posts since the window's start and returns the
// oldest one's time; nullopt when it cannot tell: an hour, then).
void check_quota(const json& answer, const std::string& usage_key, const std::string& config_key,
                 const std::string& what, Timestamp now,
                 const std::function<std::optional<Timestamp>(Timestamp start)>& oldest_since = nullptr);

// The oldest time in a listing's "data" under `key` ("timestamp"), for check_quota.
std::optional<Timestamp> oldest_in(const json& listing, const std::string& key);

}  // namespace crier::meta
