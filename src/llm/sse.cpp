#include "llm/sse.hpp"

namespace crier {

void SseParser::feed(std::string_view piece) {
  m_buffer.append(piece);
  size_t start = 0;
  for (;;) {
    size_t nl = m_buffer.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view l(m_buffer.data() + start, nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    line(l);
    start = nl + 1;
  }
  m_buffer.erase(0, start);
}

void SseParser::finish() {
  if (!m_buffer.empty()) {
    std::string rest = std::move(m_buffer);
    m_buffer.clear();
    if (!rest.empty() && rest.back() == '\r') rest.pop_back();
    line(rest);
  }
  line("");
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {  // the end of an event
    if (m_has_data) m_on_event(m_event);
    m_event = {};
    m_has_data = false;
    return;
  }
  if (l.front() == ':') return;  // a comment (keep-alive)
  size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    m_event.event = std::string(value);
  } else if (field == "data") {
    if (m_has_data) m_event.data += '\n';
    m_event.data.append(value);
    m_has_data = true;
  }
}

void Utf8Stream::write(std::string_view piece) {
  m_pending.append(piece);
  // Keep back a trailing sequence that is not complete yet.
  size_t keep = 0;
  for (size_t i = 1; i <= 3 && i <= m_pending.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(m_pending[m_pending.size() - i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (need > i) keep = i;
    break;
  }
  if (m_pending.size() > keep) {
    m_out(std::string_view(m_pending).substr(0, m_pending.size() - keep));
    m_pending.erase(0, m_pending.size() - keep);
  }
}

void Utf8Stream::flush() {
  if (!m_pending.empty()) m_out(m_pending);
  m_pending.clear();
}

}  // namespace crier
