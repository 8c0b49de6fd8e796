#include "media/media_store.hpp"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "config/config.hpp"
#include "crypto.hpp"
#include "error.hpp"
#include "http/transport.hpp"
#include "log.hpp"
#include "process.hpp"
#include "redact.hpp"

namespace crier {
namespace {

using namespace std::chrono;

std::string amz_date(Timestamp t) {  // 20130524T000000Z
  std::string iso = format_utc(t);     // 2013-05-24T00:00:00Z
  std::string out;
  for (char c : iso)
    if (c != '-' && c != ':') out += c;
  return out;
}

std::string extension_for(const std::string& mime) {
  if (mime == "image/jpeg") return ".jpg";
  if (mime == "image/png") return ".png";
  if (mime == "image/gif") return ".gif";
  if (mime == "image/webp") return ".webp";
  if (mime == "video/mp4") return ".mp4";
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::invalid_input, "cannot read the image " + path, "was it removed from crier's data dir?");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class S3Store final : public MediaStore {
 public:
  S3Store(const Config& config, Transport& http, const Clock& clock) : m_config(config), m_http(http), m_clock(clock) {
    m_bucket = config.get("media.s3_bucket");
    if (m_bucket.empty())
      throw Error(ErrorKind::config, "media.store is s3 but media.s3_bucket is not set",
                  "crier config set media.s3_bucket NAME (and media.s3_endpoint for a store other than AWS)");
    m_creds.region = config.get("media.s3_region");
    m_endpoint = config.get("media.s3_endpoint");
    if (m_endpoint.empty()) m_endpoint = "https://s3." + m_creds.region + ".amazonaws.com";
    while (!m_endpoint.empty() && m_endpoint.back() == '/') m_endpoint.pop_back();
    if (m_endpoint.rfind("https://", 0) != 0 && m_endpoint.rfind("http://", 0) != 0)
      throw Error(ErrorKind::config, "media.s3_endpoint must be an http(s) URL, not \"" + m_endpoint + "\"",
                  "e.g. https://s3.eu-west-1.amazonaws.com or https://ACCOUNT.r2.cloudflarestorage.com");
    m_path_style = config.get_bool("media.s3_path_style");
    m_public_base = config.get("media.public_url");
    while (!m_public_base.empty() && m_public_base.back() == '/') m_public_base.pop_back();
    m_prefix = config.get("media.prefix");
    m_expires = seconds{config.get_int("media.url_expiry_seconds")};
  }

  std::string_view kind() const override { return "s3"; }

  std::string public_url(const MediaItem& item) override {
    std::string key = media_key(item, m_prefix);
    S3Object object = s3_object(m_endpoint, m_bucket, key, m_path_style);
    if (!exists(object, item.bytes)) upload(object, item);
    if (!m_public_base.empty()) return m_public_base + "/" + s3_uri_encode(key, true);
    // Signed at the real time, whatever crier's clock says (CRIER_NOW): the store checks the
    // signature's date against its own clock, as libcurl's signed uploads are.
    (void)m_clock;
    auto now = std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
    return s3_presign_get(object, credentials(), now, m_expires);
  }

  std::string check() override {
    // The bucket itself: HEAD answers 200 to credentials that may use it.
    S3Object bucket = s3_object(m_endpoint, m_bucket, "", m_path_style);
    HttpRequest q = signed_request("HEAD", bucket, "");
    HttpResponse r = m_http.send(q);
    if (r.status / 100 != 2) fail(r, "checking the bucket " + m_bucket);
    return "s3 bucket " + m_bucket + " at " + m_endpoint + " answers; images get " +
           (m_public_base.empty() ? "presigned URLs (" + std::to_string(m_expires.count() / 3600) + " h)"
                                  : "URLs under " + m_public_base);
  }

  void done_with(const MediaItem& item) override {
    if (!m_config.get_bool("media.delete_after")) return;
    S3Object object = s3_object(m_endpoint, m_bucket, media_key(item, m_prefix), m_path_style);
    HttpRequest q = signed_request("DELETE", object, "");
    try {
      HttpResponse r = m_http.send(q);
      if (r.status / 100 != 2 && r.status != 404)
        spdlog::warn("media store: could not delete {} (HTTP {})", object.url, r.status);
    } catch (const Error& e) {
      spdlog::warn("media store: could not delete {}: {}", object.url, e.what());
    }
  }

 private:
  const SigV4Credentials& credentials() {
    std::lock_guard lock(m_mutex);
    if (!m_creds.access_key_id.empty()) return m_creds;
    std::string id = m_config.get("media.s3_access_key_id");
    if (id.empty()) id = env_or_empty("AWS_ACCESS_KEY_ID");
    std::string secret;
    std::string cmd = m_config.get("media.s3_secret_cmd");
    if (!cmd.empty())
      secret = secret_from_command("media.s3_secret_cmd", cmd, seconds{m_config.get_int("general.command_timeout_seconds")});
    else
      secret = env_or_empty("AWS_SECRET_ACCESS_KEY");
    if (id.empty() || secret.empty())
      throw Error(ErrorKind::config, "the media store has no credentials",
                  "set media.s3_access_key_id (or AWS_ACCESS_KEY_ID) and media.s3_secret_cmd (or "
                  "AWS_SECRET_ACCESS_KEY)");
    remember_secret(secret);
    m_creds.access_key_id = id;
    m_creds.secret_access_key = secret;
    m_creds.session_token = env_or_empty("AWS_SESSION_TOKEN");
    if (!m_creds.session_token.empty()) remember_secret(m_creds.session_token);
    return m_creds;
  }

  HttpRequest signed_request(const std::string& method, const S3Object& object, std::string body) {
    const SigV4Credentials& c = credentials();
    HttpRequest q;
    q.method = method;
    q.url = object.url;
    q.headers.emplace_back("x-amz-content-sha256", sha256_hex(body));
    if (!c.session_token.empty()) q.headers.emplace_back("x-amz-security-token", c.session_token);
    q.body = std::move(body);
    q.aws_sigv4 = "aws:amz:" + c.region + ":" + c.service;
    q.aws_credentials = c.access_key_id + ":" + c.secret_access_key;
    q.timeout = seconds{120};
    return q;
  }

  // Already uploaded (same key = same bytes)?
  bool exists(const S3Object& object, int64_t bytes) {
    HttpRequest q = signed_request("HEAD", object, "");
    HttpResponse r = m_http.send(q);
    if (r.status == 200) {
      auto len = r.header("Content-Length");
      return !len || bytes <= 0 || std::atoll(len->c_str()) == bytes;
    }
    if (r.status == 404) return false;
    fail(r, "checking " + object.url);
    return false;
  }

  void upload(const S3Object& object, const MediaItem& item) {
    HttpRequest q = signed_request("PUT", object, read_file(item.path));
    if (!item.mime.empty()) q.headers.emplace_back("Content-Type", item.mime);
    spdlog::info("media store: uploading {} ({} bytes) to {}", item.path, q.body.size(), object.url);
    HttpResponse r = m_http.send(q);
    if (r.status / 100 != 2) fail(r, "uploading to " + object.url);
  }

  [[noreturn]] void fail(const HttpResponse& r, const std::string& what) {
    // S3 errors are XML: <Error><Code>AccessDenied</Code><Message>...</Message></Error>.
    auto tag = [&](const char* name) {
      std::string open = std::string("<") + name + ">", close = std::string("</") + name + ">";
      auto a = r.body.find(open), b = r.body.find(close);
      return a == std::string::npos || b == std::string::npos || b < a ? std::string()
                                                                        : r.body.substr(a + open.size(), b - a - open.size());
    };
    std::string code = tag("Code"), message = tag("Message");
    std::string text = "media store: " + what + " failed (HTTP " + std::to_string(r.status) +
                       (code.empty() ? "" : ", " + code) + (message.empty() ? "" : ": " + message) + ")";
    if (r.status == 401 || r.status == 403)
      throw Error(ErrorKind::config, text, "check media.s3_access_key_id, the secret and the bucket's permissions");
    if (r.status == 404 || r.status == 400)
      throw Error(ErrorKind::config, text, "check media.s3_bucket, media.s3_endpoint and media.s3_region");
    throw Error(ErrorKind::transient, text);
  }

  const Config& m_config;
  Transport& m_http;
  const Clock& m_clock;
  std::mutex m_mutex;
  SigV4Credentials m_creds;
  std::string m_bucket, m_endpoint, m_public_base, m_prefix;
  bool m_path_style = false;
  seconds m_expires{0};
};

class CommandStore final : public MediaStore {
 public:
  explicit CommandStore(const Config& config) : m_config(config) {
    m_cmd = config.get("media.upload_cmd");
    if (m_cmd.empty())
      throw Error(ErrorKind::config, "media.store is command but media.upload_cmd is not set",
                  "crier config set media.upload_cmd 'my-upload' (it gets the file as $1 and prints its URL)");
  }
  std::string_view kind() const override { return "command"; }

  std::string public_url(const MediaItem& item) override {
    std::string key = media_key(item, "");
    {
      std::lock_guard lock(m_mutex);
      for (const auto& [k, url] : m_done)
        if (k == key) return url;
    }
    ProcessOptions po;
    po.timeout = seconds{m_config.get_int("general.command_timeout_seconds")};
    po.max_output = 64 * 1024;
    po.env["CRIER_MEDIA_KEY"] = key;  // a content-addressed name the command may use
    po.env["CRIER_MEDIA_TYPE"] = item.mime;
    ProcessResult r = run_process({"/bin/sh", "-c", m_cmd + " \"$1\"", "sh", item.path}, po);
    if (r.timed_out)
      throw Error(ErrorKind::config, "media.upload_cmd did not finish within " +
                                         std::to_string(duration_cast<seconds>(po.timeout).count()) +
                                         " s (it was stopped)",
                  "check the command, or give it longer: crier config set general.command_timeout_seconds N");
    if (r.exit_code != 0) {
      std::string why = r.err.substr(0, r.err.find('\n'));
      throw Error(ErrorKind::config,
                  "media.upload_cmd failed (exit " + std::to_string(r.exit_code) + ")" + (why.empty() ? "" : ": " + why),
                  "run it by hand on the file to see why");
    }
    std::string url = r.out.substr(0, r.out.find('\n'));
    while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
      throw Error(ErrorKind::config, "media.upload_cmd printed \"" + url.substr(0, 80) + "\", not a URL",
                  "it should print the image's public http(s) address on its first line");
    std::lock_guard lock(m_mutex);
    m_done.emplace_back(key, url);
    return url;
  }
  void done_with(const MediaItem&) override {}  // the command's store keeps what it was given
  std::string check() override { return "command: " + m_cmd + " (run when an image needs a URL)"; }

 private:
  const Config& m_config;
  std::string m_cmd;
  std::mutex m_mutex;
  std::vector<std::pair<std::string, std::string>> m_done;
};

}  // namespace

std::string s3_uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

S3Object s3_object(std::string_view endpoint, std::string_view bucket, std::string_view key, bool path_style) {
  std::string e(endpoint);
  auto scheme_end = e.find("://");
  std::string scheme = e.substr(0, scheme_end);
  std::string host = e.substr(scheme_end + 3);
  std::string base_path;
  if (auto slash = host.find('/'); slash != std::string::npos) {
    base_path = host.substr(slash);
    host = host.substr(0, slash);
  }
  // The Host header leaves out a default port.
  if ((scheme == "https" && host.size() > 4 && host.ends_with(":443")) ||
      (scheme == "http" && host.size() > 3 && host.ends_with(":80")))
    host = host.substr(0, host.rfind(':'));
  S3Object o;
  std::string encoded_key = s3_uri_encode(key, true);
  if (path_style) {
    o.host = host;
    o.path = base_path + "/" + s3_uri_encode(bucket, false) + "/" + encoded_key;
  } else {
    o.host = std::string(bucket) + "." + host;
    o.path = base_path + "/" + encoded_key;
  }
  o.url = scheme + "://" + o.host + o.path;
  return o;
}

std::string sigv4_signature(const SigV4Credentials& c, Timestamp now, std::string_view canonical_request) {
  std::string stamp = amz_date(now);
  std::string day = stamp.substr(0, 8);
  std::string scope = day + "/" + c.region + "/" + c.service + "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + sha256_hex(canonical_request);
  std::string k = hmac_sha256("AWS4" + c.secret_access_key, day);
  k = hmac_sha256(k, c.region);
  k = hmac_sha256(k, c.service);
  k = hmac_sha256(k, "aws4_request");
  return to_hex(hmac_sha256(k, to_sign));
}

std::string s3_presign_get(const S3Object& object, const SigV4Credentials& c, Timestamp now, seconds expires) {
  if (expires > seconds{7 * 86400}) expires = seconds{7 * 86400};
  if (expires < seconds{1}) expires = seconds{1};
  std::string stamp = amz_date(now);
  std::string scope = stamp.substr(0, 8) + "/" + c.region + "/" + c.service + "/aws4_request";
  // Query parameters in the order of their names, as the canonical request wants them.
  std::vector<std::pair<std::string, std::string>> params = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", c.access_key_id + "/" + scope},
      {"X-Amz-Date", stamp},
      {"X-Amz-Expires", std::to_string(expires.count())},
  };
  if (!c.session_token.empty()) params.emplace_back("X-Amz-Security-Token", c.session_token);
  params.emplace_back("X-Amz-SignedHeaders", "host");
  std::string query;
  for (const auto& [k, v] : params) query += (query.empty() ? "" : "&") + s3_uri_encode(k, false) + "=" + s3_uri_encode(v, false);
  std::string canonical = "GET\n" + object.path + "\n" + query + "\nhost:" + object.host + "\n\nhost\nUNSIGNED-PAYLOAD";
  return object.url + "?" + query + "&X-Amz-Signature=" + sigv4_signature(c, now, canonical);
}

std::string media_key(const MediaItem& item, std::string_view prefix) {
  return std::string(prefix) + sha256_file_hex(item.path) + extension_for(item.mime);
}

MediaStore& MediaStores::get(std::string_view network) {
  std::lock_guard lock(m_mutex);
  if (!m_made) {
    m_store = make_media_store(m_config, m_http, m_clock);
    m_made = true;
  }
  if (!m_store)
    throw Error(ErrorKind::config,
                std::string(network) + " fetches images from a public URL, and no media store is set up",
                "an S3-compatible bucket: crier config set media.store s3, media.s3_bucket and media.s3_endpoint; or "
                "crier config set media.store command and media.upload_cmd (crier-config(5), MEDIA)");
  return *m_store;
}

std::unique_ptr<MediaStore> make_media_store(const Config& config, Transport& http, const Clock& clock) {
  std::string store = config.get("media.store");
  if (store.empty() || store == "none") return nullptr;
  if (store == "s3") return std::make_unique<S3Store>(config, http, clock);
  if (store == "command") return std::make_unique<CommandStore>(config);
  throw Error(ErrorKind::config, "media.store is \"" + store + "\"; it can be s3, command or none",
              "crier config set media.store s3 (see crier-config(5), MEDIA)");
}

}  // namespace crier
