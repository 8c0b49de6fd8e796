#include "http/transport.hpp"

#include <algorithm>
#include <array>
#include <regex>
#include <cctype>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "log.hpp"

namespace crier {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The human part of an error body: JSON {"error","message","error_description"} or text.
std::string server_message(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    std::string out;
    for (const char* k : {"message", "error_description", "error", "detail"}) {
      if (j.contains(k) && j[k].is_string()) {
        std::string v = j[k].get<std::string>();
        if (!out.empty() && out.find(v) == std::string::npos) out += ": ";
        if (out.find(v) == std::string::npos) out += v;
      }
    }
    if (!out.empty()) return out;
  }
  std::string body = r.body.substr(0, 200);
  std::replace(body.begin(), body.end(), '\n', ' ');
  return body;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, Timestamp now) {
  std::string v(value);
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // A server's number, however large: anything past a year is a year (callers cap it lower).
    if (v.size() > 9) return std::chrono::seconds{365LL * 24 * 3600};
    return std::chrono::seconds{std::min(std::stoll(v), 365LL * 24 * 3600)};
  }
  // IMF-fixdate, the only HTTP date form servers send: "Sun, 22 Nov 2026 10:05:00 GMT".
  static const std::regex k_date(R"(^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$)");
  static const std::array<std::string_view, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::smatch m;
  if (!std::regex_match(v, m, k_date)) return std::nullopt;
  auto month = std::find(k_months.begin(), k_months.end(), m[2].str());
  if (month == k_months.end()) return std::nullopt;
  date::year_month_day ymd{date::year{std::stoi(m[3].str())},
                           date::month{static_cast<unsigned>(month - k_months.begin() + 1)},
                           date::day{static_cast<unsigned>(std::stoi(m[1].str()))}};
  if (!ymd.ok()) return std::nullopt;
  Timestamp t = Timestamp{date::sys_days{ymd}} + std::chrono::hours{std::stoi(m[4].str())} +
                std::chrono::minutes{std::stoi(m[5].str())} + std::chrono::seconds{std::stoi(m[6].str())};
  return std::max(std::chrono::seconds{0}, t - now);
}

std::optional<std::chrono::seconds> rate_limit_wait(const HttpResponse& r, Timestamp now) {
  if (auto ra = r.header("Retry-After"))
    if (auto s = parse_retry_after(*ra, now)) return s;
  auto reset = r.header("X-RateLimit-Reset");
  if (!reset) reset = r.header("RateLimit-Reset");
  if (!reset) return std::nullopt;
  if (auto t = parse_iso8601(*reset)) return std::max(std::chrono::seconds{1}, *t - now);
  try {
    if (reset->size() > 12) return std::chrono::seconds{365LL * 24 * 3600};
    size_t used = 0;
    long long n = std::stoll(*reset, &used);
    if (used != reset->size() || n < 0) return std::nullopt;
    if (n > 1'000'000'000) return std::max(std::chrono::seconds{1}, from_unix(n) - now);  // epoch seconds
    return std::chrono::seconds{n};                                                        // delta seconds
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// The error's own name in the body, where the API gives one: {"error": "RecordNotFound"}
// (XRPC), {"error": {"code": ...}}, {"code": ...}. Only a short identifier counts.
std::string server_code(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) return "";
  const nlohmann::json* c = nullptr;
  if (j.contains("error") && j["error"].is_string()) c = &j["error"];
  else if (j.contains("error") && j["error"].is_object() && j["error"].contains("code")) c = &j["error"]["code"];
  else if (j.contains("code")) c = &j["code"];
  if (c == nullptr) return "";
  std::string code = c->is_string() ? c->get<std::string>() : c->is_number_integer() ? std::to_string(c->get<long long>()) : "";
  bool identifier = !code.empty() && code.size() <= 64 &&
                    std::all_of(code.begin(), code.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-'; });
  return identifier ? code : "";
}

}  // namespace

void throw_for_status(const HttpResponse& r, std::string_view what, Timestamp now) {
  if (r.status >= 200 && r.status < 300) return;
  std::string msg = std::string(what) + " failed (HTTP " + std::to_string(r.status) + ")";
  std::string detail = server_message(r);
  if (!detail.empty()) msg += ": " + detail;
  std::string code = server_code(r);
  if (r.status == 401 || r.status == 403)
    throw Error(ErrorKind::auth, msg, "reconnect the account: crier accounts add ...").with_code(code);
  if (r.status == 404) throw Error(ErrorKind::not_found, msg).with_code(code);
  if (r.status == 429) {
    Error e(ErrorKind::rate_limited, msg, "the network asked crier to slow down; try later");
    e.with_code(code);
    if (auto wait = rate_limit_wait(r, now)) e.with_retry_after(*wait);
    throw e;
  }
  if (r.status == 408 || r.status >= 500) throw Error(ErrorKind::transient, msg).with_code(code);
  throw Error(ErrorKind::permanent, msg).with_code(code);
}

std::string describe_for_log(const HttpRequest& q) {
  std::string s = q.method + " " + redact(q.url);
  for (const auto& [k, v] : q.headers) {
    bool secret = iequals(k, "Authorization") || iequals(k, "Cookie") || iequals(k, "X-Api-Key") ||
                  iequals(k, "x-goog-api-key");
    s += "\n  " + k + ": " + (secret ? std::string("[redacted]") : redact(v));
  }
  if (!q.body.empty()) {
    std::string body = redact(q.body.substr(0, 500));
    bool binary = std::any_of(body.begin(), body.end(), [](char c) { return c == '\0'; });
    s += "\n  body (" + std::to_string(q.body.size()) + " bytes)" + (binary ? "" : ": " + body);
  }
  return s;
}

std::string describe_for_log(const HttpResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  for (const auto& [k, v] : r.headers)
    if (!iequals(k, "Set-Cookie")) s += "\n  " + k + ": " + redact(v);
  if (!r.body.empty())
    s += "\n  body (" + std::to_string(r.body.size()) + " bytes): " + redact(r.body.substr(0, 500));
  return s;
}

std::string base64_encode(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    size_t n = std::min<size_t>(3, in.size() - i);
    uint32_t v = 0;
    for (size_t j = 0; j < 3; ++j) v = (v << 8) | (j < n ? static_cast<uint8_t>(in[i + j]) : 0u);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? k[(v >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(k) + "=" + url_encode(v);
  }
  return out;
}

MultipartBody multipart_form(const FormFields& fields, const std::string& file_field,
                             const std::string& file_name, const std::string& file_mime,
                             const std::string& file_data) {
  // A boundary that cannot occur in the data: long, and checked.
  std::string boundary = "crier-boundary-7f3a9c2e51b04d8e";
  while (file_data.find(boundary) != std::string::npos) boundary += "x";
  MultipartBody m;
  m.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& [k, v] : fields)
    m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file_field + "\"; filename=\"" +
            file_name + "\"\r\nContent-Type: " + file_mime + "\r\n\r\n";
  m.body += file_data;
  m.body += "\r\n--" + boundary + "--\r\n";
  return m;
}

std::string link_header_url(std::string_view link, std::string_view rel) {
  // <url>; rel="next", <url>; rel="prev"
  size_t pos = 0;
  while ((pos = link.find('<', pos)) != std::string_view::npos) {
    size_t close = link.find('>', pos);
    if (close == std::string_view::npos) break;
    std::string_view url = link.substr(pos + 1, close - pos - 1);
    size_t next = link.find('<', close);
    std::string_view params = link.substr(close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
    if (params.find("rel=\"" + std::string(rel) + "\"") != std::string_view::npos ||
        params.find("rel=" + std::string(rel)) != std::string_view::npos)
      return std::string(url);
    pos = close;
  }
  return {};
}

std::string query_param(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view pair = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      std::string decoded;
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size() && std::isxdigit(static_cast<unsigned char>(value[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(value[i + 2]))) {
          decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          decoded += value[i] == '+' ? ' ' : value[i];
        }
      }
      return decoded;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return {};
}

}  // namespace crier
