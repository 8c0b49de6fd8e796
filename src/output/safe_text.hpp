// Text from outside crier (networks, models, files, the user's config) made safe to print.
// An author name or an error message can carry escape sequences that clear the screen, set the
// window title or move the cursor; printed raw, they are the sender's, not crier's. Human
// output goes through a SafeOutput stream: known secrets are redacted by value, control
// characters are shown, not sent (^[ for ESC, ^M for CR, <U+009B> for a C1 control), and only
// the few colour sequences crier's own Style writes get through, when colour is on.
// --json output keeps every character, escaped as JSON escapes it (json_safe).
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace crier {

// `text` with control characters made visible (newline and tab kept) and invalid UTF-8 shown
// as U+FFFD. allow_style: let crier's own SGR colour sequences (Style) through.
std::string terminal_safe(std::string_view text, bool allow_style = false);

// JSON text (as nlohmann writes it) with the C1 controls U+0080..U+009F, which JSON leaves
// raw, escaped as \u0080..\u009f, so that a JSON document on a terminal is inert too.
std::string json_safe(std::string_view json);

// A stream buffer in front of `target`: each line is redacted (known secrets) and made
// terminal-safe before it is written. A partial line goes out on flush.
class SafeOutput final : public std::streambuf {
 public:
  explicit SafeOutput(std::ostream& target) : m_target(target) {}
  ~SafeOutput() override;
  SafeOutput(const SafeOutput&) = delete;
  SafeOutput& operator=(const SafeOutput&) = delete;
  void allow_style(bool on) { m_allow_style = on; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  void emit(size_t upto);
  std::ostream& m_target;
  std::string m_pending;
  bool m_allow_style = false;
};

}  // namespace crier
