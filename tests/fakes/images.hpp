// Images for tests that are whole files as far as a header goes: a PNG with IHDR, one IDAT of
// filler (not a decodable picture) and IEND, with real CRCs, padded to the size a test needs.
#pragma once

#include <cstdint>
#include <string>

namespace crier::testing {

inline uint32_t png_crc(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

inline std::string png_chunk(const std::string& type, const std::string& data) {
  auto be = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  return be(static_cast<uint32_t>(data.size())) + type + data + be(png_crc(type + data));
}

// A PNG of width x height whose file is `size` bytes (at least 57).
inline std::string test_png(size_t size = 100, uint32_t width = 64, uint32_t height = 48) {
  auto be = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  std::string ihdr = be(width) + be(height) + std::string("\x08\x02\x00\x00\x00", 5);
  std::string head = std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr);
  std::string tail = png_chunk("IEND", "");
  size_t filler = size > head.size() + tail.size() + 12 ? size - head.size() - tail.size() - 12 : 0;
  return head + png_chunk("IDAT", std::string(filler, '\x01')) + tail;
}

// A JPEG of width x height whose file is `size` bytes (at least 40): SOI, a baseline frame
// header, a start of scan, filler for the entropy-coded data, EOI.
inline std::string test_jpeg(size_t size = 100, uint16_t width = 64, uint16_t height = 48) {
  auto be = [](uint16_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; };
  std::string sof = std::string("\xFF\xC0", 2) + be(17) + std::string("\x08", 1) + be(height) + be(width) +
                    std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  std::string sos = std::string("\xFF\xDA", 2) + be(12) + std::string("\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00", 10);
  std::string head = std::string("\xFF\xD8", 2) + sof + sos;
  size_t filler = size > head.size() + 2 ? size - head.size() - 2 : 0;
  return head + std::string(filler, '\x55') + std::string("\xFF\xD9", 2);
}

}  // namespace crier::testing
