// Image headers: type, dimensions and wholeness from the bytes of a file the user named.
#include "fuzz_common.hpp"
#include "media/image_probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  return fuzz::guarded([&] {
    ImageInfo i = probe_image(bytes, "fuzz.img");
    if (i.width <= 0 || i.height <= 0 || i.width > k_max_image_side || i.height > k_max_image_side) fuzz::fail("accepted dimensions are within the limits");
  });
}
