// Images are judged by their bytes: type, real dimensions, and whether the file is whole.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fakes/images.hpp"
#include "media/image_probe.hpp"
#include "text/text_rules.hpp"

using namespace crier;
using namespace crier::testing;

namespace {
std::string refusal(const std::string& data) {
  try {
    probe_image(data, "x");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    return e.what();
  }
  return "accepted";
}

std::string le16(unsigned v) { return {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }
}  // namespace

TEST_CASE("image headers: the real dimensions of PNG, JPEG, GIF and WebP", "[media]") {
  auto png = probe_image(test_png(200, 640, 480), "a.png");
  CHECK(png.mime == "image/png");
  CHECK(png.width == 640);
  CHECK(png.height == 480);

  // JPEG: SOI, an APP0, a baseline frame header (SOF0) with 300x200, a scan, EOI.
  std::string jpeg = "\xFF\xD8";
  jpeg += std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  jpeg += std::string("\xFF\xC0\x00\x11\x08\x00\xC8\x01\x2C\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 19);
  jpeg += std::string("\xFF\xDA\x00\x0C\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00", 14) + "scan data" + "\xFF\xD9";
  auto j = probe_image(jpeg, "a.jpg");
  CHECK(j.mime == "image/jpeg");
  CHECK(j.width == 300);
  CHECK(j.height == 200);

  std::string gif = "GIF89a" + le16(320) + le16(240) + std::string("\x00\x00\x00", 3) + "frame data;";
  auto g = probe_image(gif, "a.gif");
  CHECK(g.width == 320);
  CHECK(g.height == 240);

  // WebP lossless: RIFF size, VP8L, signature 0x2F, 14-bit width-1 and height-1.
  uint32_t bits = (99u) | (49u << 14);
  std::string body = "WEBPVP8L" + std::string("\x05\x00\x00\x00", 4) + "\x2F" +
                     std::string{static_cast<char>(bits), static_cast<char>(bits >> 8), static_cast<char>(bits >> 16),
                                 static_cast<char>(bits >> 24)} +
                     std::string(10, '\0');
  std::string webp = "RIFF" + std::string{static_cast<char>(body.size()), 0, 0, 0} + body;
  auto w = probe_image(webp, "a.webp");
  CHECK(w.width == 100);
  CHECK(w.height == 50);
}

TEST_CASE("image headers: cut short, absurd or not an image at all is refused", "[media]") {
  std::string png = test_png(200);
  CHECK_THAT(refusal(png.substr(0, 20)), Catch::Contains("cut short"));   // the 20-byte PNG
  CHECK_THAT(refusal(png.substr(0, 120)), Catch::Contains("cut short"));  // no IEND
  CHECK_THAT(refusal(test_png(100, 100000, 100000)), Catch::Contains("claims 100000x100000"));
  CHECK_THAT(refusal(test_png(100, 0, 10)), Catch::Contains("claims 0x10"));
  CHECK_THAT(refusal(test_png(100, 16000, 16000)), Catch::Contains("claims"));  // 256 MP
  CHECK_THAT(refusal("GIF89a" + le16(10) + le16(10) + "no trailer"), Catch::Contains("cut short"));
  CHECK_THAT(refusal(std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10)), Catch::Contains("cut short"));
  CHECK_THAT(refusal(std::string("RIFF\xFF\xFF\x00\x00WEBPVP8L", 16) + std::string(40, '\0')), Catch::Contains("cut short"));
  CHECK_THAT(refusal("%PDF-1.7 not an image"), Catch::Contains("is not a JPEG, PNG, GIF or WebP image"));
  CHECK_THAT(refusal(""), Catch::Contains("is not a JPEG"));
}

TEST_CASE("text to send: CRLF becomes LF, control characters and NUL are refused", "[text]") {
  CHECK(checked_text("a\r\nb\rc\td", "the text") == "a\nb\nc\td");
  CHECK(checked_text("emoji 👋 and ünïcödé", "the text") == "emoji 👋 and ünïcödé");
  auto refused = [](std::string_view t) {
    try {
      checked_text(t, "the text");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused(std::string("nul\0byte", 8)) == "the text has a control character (U+0000) at character 4");
  CHECK(refused("esc \x1b[2J") == "the text has a control character (U+001B) at character 5");
  CHECK(refused("c1 \xC2\x9B") == "the text has a control character (U+009B) at character 4");
  CHECK(refused("del \x7f") == "the text has a control character (U+007F) at character 5");
  CHECK(refused("bad \xff") == "the text is not valid UTF-8");
}
