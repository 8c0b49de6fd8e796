// Mustache templates for prompts and posts: the shipped ones are compiled in; a user's own in
// $XDG_CONFIG_HOME/crier/templates/NAME.mustache override them or add new names.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace crier {

struct TemplateInfo {
  std::string name;
  std::string origin;  // "built-in", or the user's file
  std::string text;
};

// All templates, the user's overriding the shipped ones, by name.
std::vector<TemplateInfo> list_templates(const std::filesystem::path& user_dir);
// Throws Error(not_found) naming the templates there are.
TemplateInfo load_template(const std::string& name, const std::filesystem::path& user_dir);
// Renders with `vars` (a JSON object: strings, numbers, booleans, arrays of objects for
// sections), as text: nothing is HTML-escaped. Throws Error(config) "template NAME, line N: ..."
// when it does not parse, Error(invalid_input) naming a {{variable}} used outside a section
// that `vars` does not have.
std::string render_template(const TemplateInfo& tpl, const nlohmann::json& vars);

}  // namespace crier
