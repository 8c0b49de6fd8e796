// libcurl behind the Transport interface. The only file that includes curl.h.
#include <curl/curl.h>

#include <mutex>

#include "error.hpp"
#include "http/transport.hpp"
#include "log.hpp"

namespace crier {
namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a new response (after 100 or a redirect)
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    headers->emplace_back(line.substr(0, colon), value);
  }
  return size * n;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlOptions o) : m_options(std::move(o)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (m_options.user_agent.empty())
      m_options.user_agent = std::string("crier/") + CRIER_VERSION + " (+https://crier.invalid)";
  }

  HttpResponse send(const HttpRequest& q) override {
    spdlog::debug("http request: {}", describe_for_log(q));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) throw Error(ErrorKind::internal, "cannot initialise libcurl");
    HttpResponse r;
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : q.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    // libcurl sends "Expect: 100-continue" for large bodies by default; some servers stall on it.
    headers = curl_slist_append(headers, "Expect:");
    auto timeout = q.timeout.count() > 0 ? q.timeout : m_options.timeout;

    curl_easy_setopt(curl, CURLOPT_URL, q.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q.method.c_str());
    if (q.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (!q.body.empty() || q.method == "POST" || q.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, q.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);  // always; there is no option to turn it off
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate/br as built in
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Proxies come from the environment (http_proxy, https_proxy, no_proxy), libcurl's default.
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK) {
      std::string host = redact(q.url);
      std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
          throw Error(ErrorKind::network, "cannot reach " + host + ": " + detail,
                      "check the server address and your connection");
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
          throw Error(ErrorKind::network, "TLS failed for " + host + ": " + detail,
                      "crier always verifies certificates; check the server's certificate");
        case CURLE_OPERATION_TIMEDOUT:
          throw Error(ErrorKind::transient, "timed out: " + host + ": " + detail);
        default:
          throw Error(ErrorKind::transient, "request to " + host + " failed: " + detail);
      }
    }
    r.status = static_cast<int>(status);
    spdlog::debug("http response: {}", describe_for_log(r));
    return r;
  }

 private:
  CurlOptions m_options;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(CurlOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace crier
