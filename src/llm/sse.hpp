// Server-sent events (text/event-stream), as OpenAI, Anthropic and Gemini stream: fed with
// whatever pieces the network delivers (split anywhere, even inside a UTF-8 sequence or a
// JSON string), it hands out whole events.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace crier {

struct SseEvent {
  std::string event;  // "" when the stream names none ("message")
  std::string data;   // data lines joined with '\n'
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseParser(Handler on_event) : m_on_event(std::move(on_event)) {}
  void feed(std::string_view piece);
  // The end of the stream: an event not yet closed by a blank line is delivered.
  void finish();

 private:
  void line(std::string_view l);
  Handler m_on_event;
  std::string m_buffer;
  SseEvent m_event;
  bool m_has_data = false;
};

// Passes on UTF-8 text in pieces that never end inside a character (for a terminal).
class Utf8Stream {
 public:
  explicit Utf8Stream(std::function<void(std::string_view)> out) : m_out(std::move(out)) {}
  void write(std::string_view piece);
  void flush();

 private:
  std::function<void(std::string_view)> m_out;
  std::string m_pending;
};

}  // namespace crier
