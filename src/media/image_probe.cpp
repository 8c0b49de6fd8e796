#include "media/image_probe.hpp"

#include "error.hpp"

namespace crier {
namespace {

uint32_t be16(std::string_view d, size_t i) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(d[i])) << 8) | static_cast<unsigned char>(d[i + 1]);
}
uint32_t be32(std::string_view d, size_t i) { return (be16(d, i) << 16) | be16(d, i + 2); }
uint32_t le16(std::string_view d, size_t i) {
  return static_cast<unsigned char>(d[i]) | (static_cast<uint32_t>(static_cast<unsigned char>(d[i + 1])) << 8);
}
uint32_t le24(std::string_view d, size_t i) {
  return le16(d, i) | (static_cast<uint32_t>(static_cast<unsigned char>(d[i + 2])) << 16);
}
uint32_t le32(std::string_view d, size_t i) { return le16(d, i) | (le16(d, i + 2) << 16); }

Error truncated(const std::string& name, const char* format) {
  return Error(ErrorKind::invalid_input, "image '" + name + "' is cut short: not a whole " + format + " file",
               "export or download it again");
}

ImageInfo png(std::string_view d, const std::string& name) {
  // signature, then chunks: length, type, data, CRC. The first is IHDR; the last is IEND.
  if (d.size() < 8 + 25 + 12 || d.substr(12, 4) != "IHDR") throw truncated(name, "PNG");
  ImageInfo info{"image/png", static_cast<int>(std::min<uint32_t>(be32(d, 16), 1u << 30)),
                 static_cast<int>(std::min<uint32_t>(be32(d, 20), 1u << 30))};
  size_t pos = 8;
  bool ended = false;
  while (pos + 12 <= d.size()) {
    uint32_t length = be32(d, pos);
    if (length > d.size() - pos - 12) throw truncated(name, "PNG");
    if (d.substr(pos + 4, 4) == "IEND") {
      ended = true;
      break;
    }
    pos += 12 + length;
  }
  if (!ended) throw truncated(name, "PNG");
  return info;
}

ImageInfo jpeg(std::string_view d, const std::string& name) {
  // Segments FF xx [length], up to the start of scan; a frame header (SOFn) has the size; the
  // scan's data runs to the end-of-image marker.
  ImageInfo info{"image/jpeg", 0, 0};
  size_t pos = 2;
  while (true) {
    while (pos < d.size() && static_cast<unsigned char>(d[pos]) == 0xFF) ++pos;  // fill bytes
    if (pos + 3 > d.size()) throw truncated(name, "JPEG");
    auto marker = static_cast<unsigned char>(d[pos]);
    ++pos;
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) continue;  // no length
    if (marker == 0xD9) throw truncated(name, "JPEG");  // ended before any image data
    uint32_t length = be16(d, pos);
    if (length < 2 || pos + length > d.size()) throw truncated(name, "JPEG");
    bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (length < 7) throw truncated(name, "JPEG");
      info.height = static_cast<int>(be16(d, pos + 3));
      info.width = static_cast<int>(be16(d, pos + 5));
    }
    pos += length;
    if (marker == 0xDA) break;  // start of scan: entropy-coded data follows
  }
  if (info.width == 0 && info.height == 0) throw truncated(name, "JPEG");
  // The end-of-image marker after the scan (some cameras append data after it).
  if (d.find("\xFF\xD9", pos) == std::string_view::npos) throw truncated(name, "JPEG");
  return info;
}

ImageInfo gif(std::string_view d, const std::string& name) {
  if (d.size() < 14 || d.back() != ';') throw truncated(name, "GIF");
  return {"image/gif", static_cast<int>(le16(d, 6)), static_cast<int>(le16(d, 8))};
}

ImageInfo webp(std::string_view d, const std::string& name) {
  if (d.size() < 30) throw truncated(name, "WebP");
  uint64_t riff = static_cast<uint64_t>(le32(d, 4)) + 8;
  if (riff > d.size()) throw truncated(name, "WebP");
  std::string_view chunk = d.substr(12, 4);
  ImageInfo info{"image/webp", 0, 0};
  if (chunk == "VP8X") {
    info.width = static_cast<int>(le24(d, 24) + 1);
    info.height = static_cast<int>(le24(d, 27) + 1);
  } else if (chunk == "VP8L") {
    if (static_cast<unsigned char>(d[20]) != 0x2F) throw truncated(name, "WebP");
    uint32_t bits = le32(d, 21);
    info.width = static_cast<int>((bits & 0x3FFF) + 1);
    info.height = static_cast<int>(((bits >> 14) & 0x3FFF) + 1);
  } else if (chunk == "VP8 ") {
    if (d.substr(23, 3) != "\x9D\x01\x2A") throw truncated(name, "WebP");
    info.width = static_cast<int>(le16(d, 26) & 0x3FFF);
    info.height = static_cast<int>(le16(d, 28) & 0x3FFF);
  } else {
    throw truncated(name, "WebP");
  }
  return info;
}

}  // namespace

ImageInfo probe_image(std::string_view d, const std::string& name) {
  auto starts = [&](std::string_view magic) { return d.substr(0, magic.size()) == magic; };
  ImageInfo info;
  if (starts("\xFF\xD8\xFF"))
    info = jpeg(d, name);
  else if (starts("\x89PNG\r\n\x1A\n"))
    info = png(d, name);
  else if (starts("GIF87a") || starts("GIF89a"))
    info = gif(d, name);
  else if (d.size() >= 12 && starts("RIFF") && d.substr(8, 4) == "WEBP")
    info = webp(d, name);
  else
    throw Error(ErrorKind::invalid_input, "'" + name + "' is not a JPEG, PNG, GIF or WebP image");
  if (info.width <= 0 || info.height <= 0 || info.width > k_max_image_side || info.height > k_max_image_side ||
      static_cast<long long>(info.width) * info.height > k_max_image_pixels)
    throw Error(ErrorKind::invalid_input,
                "image '" + name + "' claims " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                    " pixels, which no network takes (at most " + std::to_string(k_max_image_side) + " a side)",
                "check the file, or scale it down, e.g. convert IN -resize 4096x4096 OUT");
  return info;
}

}  // namespace crier
