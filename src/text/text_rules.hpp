// Text and media rules per network, and length counted the way each network counts it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace crier {

// A network's rules for text and images. Each provider fills them in; the core only applies
// them (it knows no network).
struct TextRules {
  // How the network counts a text's length; null: extended grapheme clusters, as a reader
  // sees characters. Mastodon's counts links as 23 and @user@domain as @user, say.
  std::function<size_t(std::string_view)> count = nullptr;
  size_t max_length = 300;
  size_t max_bytes = 0;   // 0: no byte limit
  std::string unit = "graphemes";
  // What a writer (or a model drafting for it) must know about the counting, "" when nothing
  // beyond the limit: "every link counts as 23 characters".
  std::string notes;
  // media
  size_t max_images = 4;
  int64_t max_image_bytes = 1'000'000;
  std::vector<std::string> image_types{"image/jpeg", "image/png", "image/gif", "image/webp"};
  bool text_required = true;  // false where a post may be media only
  bool media_required = false;  // a post must have an image (Instagram)
  // Width / height an image must lie between (0: any), where the network crops or refuses.
  double min_aspect = 0, max_aspect = 0;
  // Rules beyond the length (Instagram's 30 hashtags): what is wrong with `text`, "" when nothing.
  std::function<std::string(std::string_view text)> check_text = nullptr;
  // How the network will show the text (e.g. long URLs shortened), when it counts that form.
  std::function<std::string(const std::string&)> displayed;
};

struct ByteSpan {
  size_t start = 0;  // UTF-8 byte offset, inclusive
  size_t end = 0;    // exclusive
};

// Without leading and trailing spaces, tabs and line breaks.
std::string trim_whitespace(std::string_view s);

// Appends code point `cp` to `out` as UTF-8 (nothing for a value past U+10FFFF).
void append_utf8(std::string& out, uint32_t cp);

// Values given repeated or comma-separated ("--to a,b --to c"), trimmed, empty ones dropped.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

size_t count_graphemes(std::string_view utf8);
size_t count_codepoints(std::string_view utf8);
// True when `utf8` is well-formed UTF-8.
bool is_valid_utf8(std::string_view utf8);
// Text that is to be sent: CRLF and lone CR become LF; then it must be valid UTF-8 without NUL
// or other control characters (tab and newline are fine). Throws Error(invalid_input) naming
// `what` ("the text", "the alt text of image 2") and where the first bad character is.
std::string checked_text(std::string_view text, const std::string& what);
// http(s) URLs in the text, trailing punctuation excluded.
std::vector<ByteSpan> find_urls(std::string_view utf8);

// Length as the network counts it.
size_t count_length(std::string_view text, const TextRules& rules);

struct LengthCheck {
  size_t length = 0;
  size_t limit = 0;
  size_t bytes = 0;
  size_t byte_limit = 0;
  std::string unit;
  bool fits() const { return length <= limit && (byte_limit == 0 || bytes <= byte_limit); }
  // "312/300 graphemes (12 over)"
  std::string describe() const;
};
LengthCheck check_length(std::string_view text, const TextRules& rules);

// Splits text into parts that each fit, at paragraph and sentence boundaries, then words, and
// only as a last resort inside a word (at a grapheme boundary). Whitespace at the cut is dropped.
std::vector<std::string> split_for_thread(std::string_view text, const TextRules& rules);

}  // namespace crier
