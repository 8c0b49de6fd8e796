// What a terminal shows while a model writes: not its raw JSON ({"variants": ["Wir freuen...),
// but the text of each variant as it arrives. Fed the answer in whatever pieces the stream
// delivers, it finds the strings inside the array under "variants" (or, for a thread, the
// arrays of parts in it), decodes their escapes (\n, \", \u00e9, surrogate pairs) and hands on
// each variant's text, a piece at a time, with the variant's number. An answer that is not
// JSON at all (a server without a JSON mode) is handed on as variant 1, as it comes.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace crier {

class VariantStream {
 public:
  // index: 1-based variant number; part: 1-based part number (threads), 1 otherwise.
  using Handler = std::function<void(int index, int part, std::string_view text)>;
  explicit VariantStream(Handler on_text) : m_on_text(std::move(on_text)) {}
  void feed(std::string_view piece);

 private:
  void emit(std::string_view s);
  void byte(char c);
  Handler m_on_text;
  enum class Mode { start, json, plain } m_mode = Mode::start;
  std::string m_stack;          // the open containers, '{' or '['
  bool m_expect_key = false;    // in an object, before a key
  long m_variants_depth = -1;   // stack size inside the "variants" array (-2: it has ended)
  bool m_in_string = false, m_escape = false, m_is_key = false, m_ours = false;
  std::string m_key, m_last_key;
  std::string m_unicode;        // \uXXXX being read
  unsigned m_high = 0;          // a high surrogate waiting for its pair
  int m_variant = 0, m_part = 0;
};

}  // namespace crier
