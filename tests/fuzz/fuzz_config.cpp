// The TOML config: a broken file is a config error with a place, never a crash.
#include "config/config.hpp"
#include "config/config_keys.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  std::string text(reinterpret_cast<const char*>(data), size);
  return fuzz::guarded([&] {
    Config c = Config::from_text(text, "/fuzz/config.toml");
    for (const auto& k : config_keys()) {
      std::string v = c.get(k.name);
      validate_config_value(k.name, v);  // what loaded is valid
      if (k.type == KeyType::integer) (void)c.get_int(k.name);
    }
    (void)c.account_value("mastodon:@me@example.social", "token_cmd");
    (void)set_config_value_in_text(text, "general.timezone", "Europe/Berlin");
  });
}
