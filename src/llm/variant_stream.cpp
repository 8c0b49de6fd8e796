#include "llm/variant_stream.hpp"

#include "text/text_rules.hpp"

namespace crier {

void VariantStream::feed(std::string_view piece) {
  for (char c : piece) {
    if (m_mode == Mode::start) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      m_mode = (c == '{' || c == '`') ? Mode::json : Mode::plain;
      if (m_mode == Mode::plain) m_variant = m_part = 1;
    }
    if (m_mode == Mode::plain) {
      m_on_text(1, 1, std::string_view(&c, 1));
      continue;
    }
    byte(c);
  }
}

void VariantStream::emit(std::string_view s) {
  if (!s.empty()) m_on_text(m_variant, m_part, s);
}

void VariantStream::byte(char c) {
  if (m_in_string) {
    std::string out;
    if (!m_unicode.empty()) {
      m_unicode += c;
      if (m_unicode.size() < 5) return;
      unsigned cp = 0xFFFD;
      try {
        cp = static_cast<unsigned>(std::stoul(m_unicode.substr(1), nullptr, 16));
      } catch (const std::exception&) {
      }
      m_unicode.clear();
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        m_high = cp;
        return;
      }
      if (cp >= 0xDC00 && cp <= 0xDFFF) cp = m_high ? 0x10000 + ((m_high - 0xD800) << 10) + (cp - 0xDC00) : 0xFFFD;
      m_high = 0;
      append_utf8(out, cp);
    } else if (m_escape) {
      m_escape = false;
      if (c == 'u') {
        m_unicode.push_back('u');  // (assigning a literal trips a GCC 12 -Wrestrict false positive)
        return;
      }
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c);
    } else if (c == '\\') {
      m_escape = true;
      return;
    } else if (c == '"') {
      m_in_string = false;
      if (m_is_key) m_last_key = m_key;
      return;
    } else {
      out.push_back(c);
    }
    if (m_is_key) m_key += out;
    else if (m_ours) emit(out);
    return;
  }
  auto depth = static_cast<long>(m_stack.size());
  char top = m_stack.empty() ? 0 : m_stack.back();
  switch (c) {
    case '"':
      m_in_string = true;
      m_is_key = top == '{' && m_expect_key;
      m_ours = false;
      if (m_is_key) {
        m_key.clear();
      } else if (top == '[' && depth == m_variants_depth) {  // a variant of one part
        ++m_variant;
        m_part = 1;
        m_ours = true;
      } else if (top == '[' && depth == m_variants_depth + 1) {  // a part of a thread variant
        ++m_part;
        m_ours = true;
      }
      break;
    case '[':
      if (top == '{' && m_last_key == "variants" && m_variants_depth == -1) m_variants_depth = depth + 1;
      else if (depth == m_variants_depth) {  // a thread variant: an array of parts
        ++m_variant;
        m_part = 0;
      }
      m_stack += '[';
      break;
    case '{':
      m_stack += '{';
      m_expect_key = true;
      break;
    case ']':
    case '}':
      if (depth == m_variants_depth) m_variants_depth = -2;  // the variants are all there
      if (!m_stack.empty()) m_stack.pop_back();
      break;
    case ':':
      m_expect_key = false;
      break;
    case ',':
      if (top == '{') m_expect_key = true;
      break;
    default:
      break;
  }
}

}  // namespace crier
