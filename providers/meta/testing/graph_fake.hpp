// What the Threads, Instagram and Facebook fakes share: Graph's JSON answers, its times
// ("2024-01-01T18:20:00+0000"), and reading a parameter from a query, a form or a multipart body.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace crier::testing::graph_fake {

inline void send(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=UTF-8");
}

inline long long unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

inline std::string graph_time(long long t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+0000", &tm);
  return buf;
}

inline std::string param(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name)) return req.get_param_value(name);
  if (req.is_multipart_form_data() && req.has_file(name)) return req.get_file_value(name).content;
  return "";
}

inline size_t codepoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace crier::testing::graph_fake
