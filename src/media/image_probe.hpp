// What an image file really is, read from its bytes: the format from its signature, the
// dimensions from its header, and whether it is whole (a PNG ends with IEND, a JPEG has an EOI
// after its scan, a GIF ends with its trailer, a WebP is as long as its RIFF header says).
// A name or a 20-byte PNG signature is not an image; nor is a header that claims 100000x100000.
#pragma once

#include <string>
#include <string_view>

namespace crier {

struct ImageInfo {
  std::string mime;  // image/jpeg | image/png | image/gif | image/webp
  int width = 0;
  int height = 0;
};

// The largest image crier will send: a side and the pixel count. Networks scale down what is
// larger than they show; a header beyond these is broken or hostile.
inline constexpr int k_max_image_side = 16384;
inline constexpr long long k_max_image_pixels = 100'000'000;

// Throws Error(invalid_input) saying what is wrong ("not a JPEG, PNG, GIF or WebP image",
// "is cut short", "claims 100000x100000 pixels"); `name` is used in the message.
ImageInfo probe_image(std::string_view data, const std::string& name);

}  // namespace crier
