#include <catch2/catch.hpp>

#include <cstdlib>

#include "config/config.hpp"
#include "config/config_keys.hpp"
#include "error.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"

using namespace crier;
using crier::testing::TempDir;

namespace {
struct EnvGuard {
  std::string name;
  explicit EnvGuard(std::string n, const char* value) : name(std::move(n)) { ::setenv(name.c_str(), value, 1); }
  ~EnvGuard() { ::unsetenv(name.c_str()); }
};
}  // namespace

TEST_CASE("a missing config file means defaults", "[config]") {
  TempDir dir;
  Config c = Config::load(dir.path() / "none.toml");
  CHECK_FALSE(c.file_exists());
  CHECK(c.get("publish.max_attempts") == "5");
  CHECK(c.get_int("publish.lease_seconds") == 300);
  CHECK(c.source("publish.max_attempts") == "default");
}

TEST_CASE("precedence is flag > environment > file > default", "[config]") {
  TempDir dir;
  auto path = dir.path() / "config.toml";
  write_file_atomic(path, "[llm]\nmodel = \"from-file\"\nendpoint = \"http://file\"\n");
  Config c = Config::load(path);
  CHECK(c.get("llm.model") == "from-file");
  CHECK(c.source("llm.model") == "file");
  EnvGuard env("CRIER_LLM_MODEL", "from-env");
  CHECK(c.get("llm.model") == "from-env");
  CHECK(c.source("llm.model") == "env");
  c.set_override("llm.model", "from-flag");
  CHECK(c.get("llm.model") == "from-flag");
  CHECK(c.source("llm.model") == "flag");
  CHECK(c.get("llm.endpoint") == "http://file");
}

TEST_CASE("a broken file is reported with file, line and column", "[config]") {
  TempDir dir;
  auto path = dir.path() / "config.toml";
  write_file_atomic(path, "[general]\ncolor = \"auto\"\ntimezone = \"Europe/Berlin\n");
  try {
    Config::load(path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.what(), Catch::Contains(path.string() + ":3:"));
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("unknown keys warn, wrongly typed values fail", "[config]") {
  TempDir dir;
  auto path = dir.path() / "config.toml";
  write_file_atomic(path, "[publish]\nmax_atempts = 3\n");
  Config c = Config::load(path);
  REQUIRE(c.warnings().size() == 1);
  CHECK_THAT(c.warnings()[0], Catch::Contains("max_atempts") && Catch::Contains(":2:"));

  write_file_atomic(path, "[publish]\nmax_attempts = \"many\"\n");
  CHECK_THROWS_AS(Config::load(path), Error);
  write_file_atomic(path, "[general]\ncolor = \"sometimes\"\n");
  CHECK_THROWS_WITH(Config::load(path), Catch::Contains("auto, always or never"));
}

TEST_CASE("per-account tables are kept, not warned about", "[config]") {
  TempDir dir;
  auto path = dir.path() / "config.toml";
  write_file_atomic(path, "[accounts.\"bluesky:me.test\"]\npassword_cmd = \"pass show bsky\"\n");
  Config c = Config::load(path);
  CHECK(c.warnings().empty());
  CHECK(c.account_value("bluesky:me.test", "password_cmd") == std::optional<std::string>("pass show bsky"));
  CHECK_FALSE(c.account_value("bluesky:other", "password_cmd"));
}

TEST_CASE("config set edits the text in place and keeps comments", "[config]") {
  std::string text = default_config_text();
  REQUIRE_FALSE(text.empty());

  SECTION("replaces an active value") {
    auto out = set_config_value_in_text(text, "publish.max_attempts", "9");
    CHECK_THAT(out, Catch::Contains("max_attempts = 9"));
    CHECK_THAT(out, Catch::Contains("# Attempts before a delivery"));
  }
  SECTION("fills in a commented-out example") {
    auto out = set_config_value_in_text(text, "general.timezone", "Europe/Berlin");
    CHECK_THAT(out, Catch::Contains("timezone = \"Europe/Berlin\""));
    CHECK_THAT(out, !Catch::Contains("# timezone = \"\""));
  }
  SECTION("adds a missing section") {
    auto out = set_config_value_in_text("# mine\n", "llm.model", "llama3.2");
    CHECK(out == "# mine\n\n[llm]\nmodel = \"llama3.2\"\n");
  }
  SECTION("quotes strings safely") {
    auto out = set_config_value_in_text("", "llm.api_key_cmd", "pass show \"openai\"");
    TempDir dir;
    write_file_atomic(dir.path() / "c.toml", out);
    CHECK(Config::load(dir.path() / "c.toml").get("llm.api_key_cmd") == "pass show \"openai\"");
  }
}

TEST_CASE("the default config parses without warnings and matches the key table", "[config]") {
  TempDir dir;
  write_file_atomic(dir.path() / "c.toml", default_config_text());
  Config c = Config::load(dir.path() / "c.toml");
  CHECK(c.warnings().empty());
  for (const auto& k : config_keys()) CHECK(c.get(k.name) == std::string(k.default_value));
}

TEST_CASE("validate_config_value checks types", "[config]") {
  CHECK_NOTHROW(validate_config_value("publish.max_attempts", "3"));
  CHECK_THROWS_AS(validate_config_value("publish.max_attempts", "-1"), Error);
  CHECK_THROWS_AS(validate_config_value("publish.max_attempts", "3x"), Error);
  CHECK_THROWS_AS(validate_config_value("no.such", "1"), Error);
}
