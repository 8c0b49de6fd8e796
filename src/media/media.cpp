#include "media/media.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "error.hpp"
#include "hash.hpp"
#include "media/image_probe.hpp"
#include "paths.hpp"

namespace crier {
namespace fs = std::filesystem;
namespace {

// Larger than any network takes: refused before it is read into memory.
constexpr int64_t k_max_image_file = 100'000'000;

std::string extension_for(const std::string& mime) {
  if (mime == "image/jpeg") return ".jpg";
  if (mime == "image/png") return ".png";
  if (mime == "image/gif") return ".gif";
  if (mime == "image/webp") return ".webp";
  return ".bin";
}

}  // namespace

std::string human_bytes(int64_t n) {
  if (n >= (1 << 20) && n % (1 << 20) == 0) return fmt::format("{} MiB", n >> 20);  // a limit set in MiB
  if (n >= 1'000'000) return fmt::format("{:.3g} MB", static_cast<double>(n) / 1e6);
  if (n >= 1'000) return fmt::format("{:.3g} kB", static_cast<double>(n) / 1e3);
  return fmt::format("{} bytes", n);
}

MediaItem inspect_image(const fs::path& path, std::string alt) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::invalid_input, "image '" + path.string() + "' does not exist",
                "check the path given to --image");
  if (!fs::is_regular_file(path, ec))
    throw Error(ErrorKind::invalid_input, "image '" + path.string() + "' is not a file");
  auto bytes = static_cast<int64_t>(fs::file_size(path, ec));
  if (bytes == 0) throw Error(ErrorKind::invalid_input, "image '" + path.string() + "' is empty");
  if (bytes > k_max_image_file)
    throw Error(ErrorKind::invalid_input,
                fmt::format("image '{}' is {}, more than any network takes", path.string(), human_bytes(bytes)),
                "make it smaller, e.g. convert IN -resize 2000x2000 -quality 85 OUT.jpg");
  std::string data;
  try {
    data = read_file(path);
  } catch (const Error&) {
    throw Error(ErrorKind::invalid_input, "cannot read image '" + path.string() + "'");
  }
  // The whole file is looked at: its type, its real size in pixels, and that it is not cut short.
  ImageInfo info = probe_image(data, path.string());
  MediaItem m{fs::absolute(path).string(), std::move(alt), info.mime, static_cast<int64_t>(data.size())};
  m.width = info.width;
  m.height = info.height;
  return m;
}

void check_media(const std::vector<MediaItem>& media, const TextRules& rules,
                 const std::string& network) {
  if (media.size() > rules.max_images)
    throw Error(ErrorKind::invalid_input,
                fmt::format("{} images given, {} takes at most {}", media.size(), network,
                            rules.max_images),
                "remove some --image options, or post them in a thread");
  for (const auto& m : media) {
    if (m.width > 0 && m.height > 0 && rules.min_aspect > 0 && rules.max_aspect > 0) {
      double aspect = static_cast<double>(m.width) / m.height;
      if (aspect < rules.min_aspect - 1e-9 || aspect > rules.max_aspect + 1e-9)
        throw Error(ErrorKind::invalid_input,
                    fmt::format("image '{}' is {}x{} (width/height {:.2f}); {} takes {:.2f} to {:.2f}", m.path,
                                m.width, m.height, aspect, network, rules.min_aspect, rules.max_aspect),
                    "crop it, e.g. convert IN -gravity center -crop 4:5 OUT.jpg");
    }
    if (std::find(rules.image_types.begin(), rules.image_types.end(), m.mime) ==
        rules.image_types.end())
      throw Error(ErrorKind::invalid_input,
                  fmt::format("image '{}' is {}, which {} does not accept", m.path, m.mime, network));
    if (m.bytes > rules.max_image_bytes)
      throw Error(ErrorKind::invalid_input,
                  fmt::format("image '{}' is {}, over {}'s limit of {} per image", m.path,
                              human_bytes(m.bytes), network, human_bytes(rules.max_image_bytes)),
                  "make it smaller, e.g. convert IN -resize 2000x2000 -quality 85 OUT.jpg");
  }
}

MediaItem keep_media_copy(const MediaItem& item, const fs::path& dir) {
  std::string data = read_file(item.path);
  fs::path target = dir / fmt::format("{:016x}-{}{}", fnv1a(data), data.size(), extension_for(item.mime));
  std::error_code ec;
  if (!fs::exists(target, ec)) write_file_atomic(target, data);
  MediaItem copy = item;
  copy.path = target.string();
  return copy;
}

}  // namespace crier
