// Shared by the libFuzzer harnesses. Each harness feeds input crier does not control to one
// parser; crier::Error is the parser saying "no" (fine), anything else that escapes - another
// exception, a crash, a sanitizer report, a hang - is a bug the fuzzer reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "error.hpp"

namespace crier::fuzz {

// Reads pieces off the input: a byte, or the text up to the next separator byte 0xFF.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : m_data(reinterpret_cast<const char*>(data), size) {}
  uint8_t byte() {
    if (m_pos >= m_data.size()) return 0;
    return static_cast<uint8_t>(m_data[m_pos++]);
  }
  std::string_view piece() {
    size_t end = m_data.find('\xFF', m_pos);
    if (end == std::string_view::npos) end = m_data.size();
    std::string_view p = m_data.substr(m_pos, end - m_pos);
    m_pos = end < m_data.size() ? end + 1 : end;
    return p;
  }
  std::string_view rest() {
    std::string_view r = m_data.substr(std::min(m_pos, m_data.size()));
    m_pos = m_data.size();
    return r;
  }

 private:
  std::string_view m_data;
  size_t m_pos = 0;
};

// A property that must hold does not: say which, and stop (the fuzzer keeps the input).
[[noreturn]] inline void fail(const char* why) {
  std::fprintf(stderr, "property broken: %s\n", why);
  std::abort();
}

// Runs `body`; an Error is an answer, any other exception is a finding.
template <typename F>
int guarded(F&& body) {
  try {
    body();
  } catch (const Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace crier::fuzz
