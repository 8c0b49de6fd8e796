// What leaves crier: known secrets redacted by value, and text from outside shown, not obeyed.
#include <catch2/catch.hpp>

#include <sstream>

#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "redact.hpp"

using namespace crier;

TEST_CASE("terminal_safe shows control characters instead of sending them", "[output][injection]") {
  CHECK(terminal_safe("plain ünïcødé 👋\tand\nlines") == "plain ünïcødé 👋\tand\nlines");
  CHECK(terminal_safe("\x1b[2Jclear") == "^[[2Jclear");
  CHECK(terminal_safe("\x1b]0;owned\x07title") == "^[]0;owned^Gtitle");
  CHECK(terminal_safe("over\rwrite") == "over^Mwrite");
  CHECK(terminal_safe(std::string("nul\0here", 8)) == "nul^@here");
  CHECK(terminal_safe("del\x7f") == "del^?");
  CHECK(terminal_safe("c1 \xC2\x9B" "31m") == "c1 <U+009B>31m");  // CSI as one code point
  CHECK(terminal_safe("bad \xff\xfe utf8") == "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8");
  CHECK(terminal_safe("overlong \xC0\xAF") == "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("only crier's own colours pass, and only when colour is on", "[output][injection]") {
  Style style(true);
  std::string ours = style.red("dead") + " " + style.bold("x");
  CHECK(terminal_safe(ours, true) == ours);
  CHECK(terminal_safe(ours, false).find('\x1b') == std::string::npos);
  CHECK(terminal_safe("\x1b[8mhidden\x1b[0m", true) == "^[[8mhidden\x1b[0m");  // conceal is not ours
}

TEST_CASE("json_safe escapes what JSON leaves raw", "[output][injection]") {
  CHECK(json_safe("{\"a\":\"x\xC2\x9By\x7f\"}") == "{\"a\":\"x\\u009by\\u007f\"}");
  CHECK(json_safe("{\"a\":\"é 👋\"}") == "{\"a\":\"é 👋\"}");
}

TEST_CASE("known secrets are redacted by value in every form they are written", "[output][secrets]") {
  forget_secrets();
  remember_secrets_in(R"({"did":"did:plc:abc","accessJwt":"jwt-ABCDEF-123","client_id":"cid-123456",
                          "client_secret":"p@ss/word+1"})");
  CHECK(redact_known("echo jwt-ABCDEF-123 back") == "echo [redacted] back");
  CHECK(redact_known("did:plc:abc and cid-123456 stay") == "did:plc:abc and cid-123456 stay");
  CHECK(redact_known("form: secret=p%40ss%2Fword%2B1") == "form: secret=[redacted]");
  remember_secret("tok\"en\\value");
  CHECK(redact_known(R"({"x":"tok\"en\\value"})") == R"({"x":"[redacted]"})");
  remember_secret("abc");  // too short to tell from ordinary text
  CHECK(redact_known("abc") == "abc");
  forget_secrets();
  CHECK(redact_known("jwt-ABCDEF-123") == "jwt-ABCDEF-123");
}

TEST_CASE("SafeOutput redacts and neutralises per line, and a flush sends a partial line", "[output][secrets]") {
  forget_secrets();
  remember_secret("s3cr3t-token");
  std::ostringstream target;
  {
    SafeOutput buf(target);
    std::ostream out(&buf);
    out << "a \x1b[2J token s3cr3t-token\n" << "prompt: " << std::flush;
    CHECK(target.str() == "a ^[[2J token [redacted]\nprompt: ");
    out << "é";  // two bytes
    out.write("\xF0\x9F", 2);  // half an emoji: held back on flush, not broken
    out << std::flush;
    CHECK(target.str() == "a ^[[2J token [redacted]\nprompt: é");
    out.write("\x91\x8B\n", 3);
  }
  CHECK(target.str() == "a ^[[2J token [redacted]\nprompt: é👋\n");
  forget_secrets();
}

TEST_CASE("a control character shown as ^A cannot spell a secret (found by fuzzing)", "[output][secrets]") {
  forget_secrets();
  remember_secret("ABCDEF");
  std::ostringstream target;
  {
    SafeOutput buf(target);
    std::ostream out(&buf);
    out << "x\x01" << "BCDEF y\n";
  }
  CHECK(target.str().find("ABCDEF") == std::string::npos);
  forget_secrets();
}
