// libcurl behind the Transport interface. The only file that includes curl.h.
//
// libcurl is loaded with dlopen on the first HTTP request rather than linked: it drags in some
// thirty shared libraries (TLS, HTTP/2, SSH, LDAP, Kerberos...) whose loading and relocation
// were over 90% of the start-up time of every crier run, including the cron runs that have
// nothing to send and never touch the network.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>

#include <mutex>

#include "error.hpp"
#include "http/transport.hpp"
#include "log.hpp"

namespace crier {
namespace {

// The few libcurl entry points crier uses, resolved once.
struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

template <typename T>
void resolve(void* lib, const char* name, T& fn) {
  fn = reinterpret_cast<T>(::dlsym(lib, name));
  if (fn == nullptr)
    throw Error(ErrorKind::config, std::string("the installed libcurl lacks ") + name,
                "install a current libcurl: apt-get install libcurl4");
}

const CurlApi& curl_api() {
  static CurlApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr)
      throw Error(ErrorKind::config, std::string("cannot load libcurl: ") + ::dlerror(),
                  "install it: apt-get install libcurl4");
    resolve(lib, "curl_global_init", api.global_init);
    resolve(lib, "curl_easy_init", api.easy_init);
    resolve(lib, "curl_easy_setopt", api.easy_setopt);
    resolve(lib, "curl_easy_perform", api.easy_perform);
    resolve(lib, "curl_easy_getinfo", api.easy_getinfo);
    resolve(lib, "curl_easy_cleanup", api.easy_cleanup);
    resolve(lib, "curl_easy_strerror", api.easy_strerror);
    resolve(lib, "curl_slist_append", api.slist_append);
    resolve(lib, "curl_slist_free_all", api.slist_free_all);
    api.global_init(CURL_GLOBAL_DEFAULT);
  });
  return api;
}

struct BodySink {
  std::string* body;
  size_t max;  // 0: unbounded
  const std::function<bool(std::string_view)>* on_data;
  const int* status;  // the status line seen by on_header
  bool overflow = false;
  bool stopped = false;
};

struct HeaderSink {
  Headers* headers;
  int status = 0;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->max > 0 && sink->body->size() + size * n > sink->max) {
    sink->overflow = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, size * n);
  if (*sink->on_data && *sink->status >= 200 && *sink->status < 300 &&
      !(*sink->on_data)(std::string_view(data, size * n))) {
    sink->stopped = true;
    return 0;
  }
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  Headers* headers = sink->headers;
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after 100 or a redirect)
    headers->clear();
    auto sp = line.find(' ');
    sink->status = sp == std::string::npos ? 0 : std::atoi(line.c_str() + sp + 1);
  }
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
    if (m_options.user_agent.empty())
      m_options.user_agent = std::string("crier/") + CRIER_VERSION + " (+https://crier.invalid)";
  }

  HttpResponse send(const HttpRequest& q) override {
    spdlog::debug("http request: {}", describe_for_log(q));
    const CurlApi& c = curl_api();
    CURL* curl = c.easy_init();
    if (curl == nullptr) throw Error(ErrorKind::internal, "cannot initialise libcurl");
    HttpResponse r;
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : q.headers) headers = c.slist_append(headers, (k + ": " + v).c_str());
    // libcurl sends "Expect: 100-continue" for large bodies by default; some servers stall on it.
    // Not for a request libcurl signs for S3: it would sign the empty header it then leaves out,
    // and S3 would refuse the signature (S3 handles 100-continue well).
    if (q.aws_sigv4.empty()) headers = c.slist_append(headers, "Expect:");
    auto timeout = q.timeout.count() > 0 ? q.timeout : m_options.timeout;

    c.easy_setopt(curl, CURLOPT_URL, q.url.c_str());
    c.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q.method.c_str());
    if (q.method == "HEAD") c.easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (!q.body.empty() || q.method == "POST" || q.method == "PUT") {
      c.easy_setopt(curl, CURLOPT_POSTFIELDS, q.body.data());
      c.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body.size()));
    }
    c.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (!q.aws_sigv4.empty()) {
      c.easy_setopt(curl, CURLOPT_AWS_SIGV4, q.aws_sigv4.c_str());
      c.easy_setopt(curl, CURLOPT_USERPWD, q.aws_credentials.c_str());
    }
    c.easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    c.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout.count()));
    c.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);  // always; there is no option to turn it off
    c.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    c.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    c.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate/br as built in
    c.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Proxies come from the environment (http_proxy, https_proxy, no_proxy), libcurl's default.
    c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    HeaderSink header_sink{&r.headers};
    size_t max_body = q.max_body > 0 ? q.max_body : m_options.max_body;
    BodySink sink{&r.body, max_body, &q.on_data, &header_sink.status};
    c.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    c.easy_setopt(curl, CURLOPT_HEADERDATA, &header_sink);
    char errbuf[CURL_ERROR_SIZE] = {0};
    c.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = c.easy_perform(curl);
    long status = 0;
    c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    c.slist_free_all(headers);
    c.easy_cleanup(curl);

    if (sink.stopped) throw Error(ErrorKind::internal, "the transfer from " + redact(q.url) + " was stopped");
    if (sink.overflow) {
      // A request that may have changed something (a POST) has an unknown outcome: transient.
      bool reading = q.method == "GET" || q.method == "HEAD";
      throw Error(reading ? ErrorKind::permanent : ErrorKind::transient,
                  "the answer from " + redact(q.url) + " is larger than " + std::to_string(max_body) + " bytes",
                  "raise http.max_body_bytes if the server is right to send that much");
    }
    if (rc != CURLE_OK) {
      std::string host = redact(q.url);
      std::string detail = errbuf[0] ? errbuf : c.easy_strerror(rc);
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
