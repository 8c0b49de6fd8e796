#include "output/safe_text.hpp"

#include <array>
#include <cstdio>

#include "redact.hpp"

namespace crier {
namespace {

// The sequences Style writes (bold, dim, red, green, yellow, reset).
constexpr std::array<std::string_view, 6> k_style_codes{"\x1b[0m", "\x1b[1m", "\x1b[2m",
                                                        "\x1b[31m", "\x1b[32m", "\x1b[33m"};

// Length of the UTF-8 sequence starting at s[i] and its code point; 0 when invalid.
size_t utf8_at(std::string_view s, size_t i, uint32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Bytes at the end of `s` that begin a UTF-8 sequence not yet complete.
size_t incomplete_tail(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    auto b = static_cast<unsigned char>(s[s.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

}  // namespace

std::string terminal_safe(std::string_view text, bool allow_style) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && allow_style) {
      bool ours = false;
      for (auto code : k_style_codes)
        if (text.substr(i, code.size()) == code) {
          out += code;
          i += code.size();
          ours = true;
          break;
        }
      if (ours) continue;
    }
    if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      out += '^';
      out += static_cast<char>(c == 0x7f ? '?' : c + 0x40);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8_at(text, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9f) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "<U+%04X>", cp);
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string json_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    auto c = static_cast<unsigned char>(json[i]);
    auto next = i + 1 < json.size() ? static_cast<unsigned char>(json[i + 1]) : 0;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", next);
      out += buf;
      ++i;
      continue;
    }
    if (c == 0x7f) {
      out += "\\u007f";
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

SafeOutput::~SafeOutput() { sync(); }

void SafeOutput::emit(size_t upto) {
  if (upto == 0) return;
  // Redacted before and after being made safe: showing a control character as ^A next to
  // "BCDEF" spells "ABCDEF" (found by fuzzing), which may be a secret.
  m_target << redact_known(terminal_safe(redact_known(std::string_view(m_pending).substr(0, upto)), m_allow_style));
  m_pending.erase(0, upto);
}

SafeOutput::int_type SafeOutput::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  m_pending += traits_type::to_char_type(c);
  if (c == '\n') emit(m_pending.size());
  return c;
}

std::streamsize SafeOutput::xsputn(const char* s, std::streamsize n) {
  m_pending.append(s, static_cast<size_t>(n));
  size_t nl = m_pending.rfind('\n');
  if (nl != std::string::npos) emit(nl + 1);
  return n;
}

int SafeOutput::sync() {
  emit(m_pending.size() - incomplete_tail(m_pending));
  m_target.flush();
  return 0;
}

}  // namespace crier
