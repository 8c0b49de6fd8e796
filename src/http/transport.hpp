// HTTP for providers and the LLM client. One small interface (Transport) with libcurl behind
// it in production, a scripted fake in unit tests and loopback servers in end-to-end tests.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "clock.hpp"

namespace crier {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: the transport's default
  size_t max_body = 0;                   // 0: the transport's limit; a longer answer is an error
  // Streaming: called with each piece of a 2xx answer's body as it arrives (the body is still
  // collected in the response). Returning false stops the transfer (an error).
  std::function<bool(std::string_view)> on_data = nullptr;
  // Signed by the transport with AWS Signature V4 (libcurl's CURLOPT_AWS_SIGV4, e.g.
  // "aws:amz:us-east-1:s3") using these credentials ("KEY_ID:SECRET"), which are never logged.
  // The caller sets x-amz-content-sha256 itself (libcurl 7.88 does not).
  std::string aws_sigv4 = "";
  std::string aws_credentials = "";
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // Case-insensitive header lookup; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Performs one request. Returns the response for any HTTP status; throws Error(network)
  // when the server cannot be reached, Error(transient) on a timeout or a dropped connection.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_body = 8 * 1024 * 1024;  // an API answer larger than this is an error, not a 600 MB string
  std::string user_agent;  // default: crier/VERSION
};
std::unique_ptr<Transport> make_curl_transport(CurlOptions options = {});

// Seconds to wait from a Retry-After header (delta seconds or an HTTP date), relative to now.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, Timestamp now);

// When the network's rate-limit window resets, from Retry-After, or else X-RateLimit-Reset /
// RateLimit-Reset (an ISO time as Mastodon sends, epoch seconds as Bluesky sends, or a delta).
std::optional<std::chrono::seconds> rate_limit_wait(const HttpResponse& response, Timestamp now);

// Throws the Error a non-2xx response means: 401/403 auth, 404 not_found, 408/5xx transient,
// 429 rate_limited (with retry-after), other 4xx permanent with the server's message.
// `what` names the operation for the message ("bluesky createRecord"). Returns on 2xx.
void throw_for_status(const HttpResponse& response, std::string_view what, Timestamp now);

// The text of a request or response as -vv logs show it: tokens and secrets redacted, bodies cut.
std::string describe_for_log(const HttpRequest& request);
std::string describe_for_log(const HttpResponse& response);

// application/x-www-form-urlencoded escaping.
std::string url_encode(std::string_view s);
// Standard base64 with padding (RFC 4648), as HTTP Basic authentication wants it.
std::string base64_encode(std::string_view s);

using FormFields = std::vector<std::pair<std::string, std::string>>;
// "a=1&b=x%20y": a form body or a query string (repeat a key for arrays, e.g. "media_ids[]").
std::string form_encode(const FormFields& fields);

// A multipart/form-data body with text fields and one file.
struct MultipartBody {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};
MultipartBody multipart_form(const FormFields& fields, const std::string& file_field,
                             const std::string& file_name, const std::string& file_mime,
                             const std::string& file_data);

// The URL of the Link header entry with rel="<rel>" (RFC 8288), or "".
std::string link_header_url(std::string_view link, std::string_view rel);
// The value of query parameter `name` in `url`, decoded, or "".
std::string query_param(std::string_view url, std::string_view name);

}  // namespace crier
