// Mustache templates (the user's own prompt templates) rendered with hostile values.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "llm/templates.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crier;
  fuzz::Input in(data, size);
  std::string value(in.piece());
  TemplateInfo t{"fuzz", "fuzz", std::string(in.rest())};
  nlohmann::json vars = {{"topic", value},  {"tone", value}, {"lang", ""},
                         {"networks", {{{"name", value}, {"limit", 300}}}}, {"variants", 2}};
  return fuzz::guarded([&] { (void)render_template(t, vars); });
}
