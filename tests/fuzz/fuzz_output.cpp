// What crier prints: terminal-safe text holds no control character, JSON stays inert, known
// secrets never survive redaction, whatever the network sent.
#include <cstring>
#include <sstream>

#include "fuzz_common.hpp"
#include "output/safe_text.hpp"
#include "redact.hpp"

// The placeholder itself may spell a short secret ("redact"): that is not the secret shown.
static std::string unmarked(std::string out) {
  for (const char* mark : {"[redacted-jwt]", "[redacted]"})
    for (size_t at; (at = out.find(mark)) != std::string::npos;) out.replace(at, std::strlen(mark), "\x01");
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  fuzz::Input in(data, size);
  std::string secret(in.piece());
  std::string text(in.rest());
  return fuzz::guarded([&] {
    std::string safe = terminal_safe(text, false);
    for (unsigned char c : safe)
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) fuzz::fail("terminal-safe text has no control character");
    if (safe.find("\xC2\x9B") != std::string::npos) fuzz::fail("no C1 CSI either");
    (void)json_safe(text);
    forget_secrets();
    remember_secret(secret);
    bool plain = secret.size() >= 6 && secret.size() < 64 &&
                 secret.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=") ==
                     std::string::npos;
    if (plain) {
      std::string out = redact(text + secret + text);
      if (unmarked(out).find(secret) != std::string::npos)
        fuzz::fail("a remembered secret survived redact()");
      std::ostringstream sink;
      {
        SafeOutput buf(sink);
        std::ostream os(&buf);
        os << text << secret << '\n';
      }
      if (unmarked(sink.str()).find(secret) != std::string::npos && terminal_safe(secret) == secret)
        fuzz::fail("a remembered secret reached SafeOutput's target");
    }
    forget_secrets();
  });
}
