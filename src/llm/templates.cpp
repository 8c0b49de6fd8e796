#include "llm/templates.hpp"

#include <algorithm>
#include <map>

#include <kainjow/mustache.hpp>

#include "embedded.hpp"
#include "error.hpp"
#include "paths.hpp"

namespace crier {
namespace {

namespace fs = std::filesystem;
using kainjow::mustache::data;
using kainjow::mustache::mustache;

const std::vector<std::string> k_builtin = {"draft",   "thread",        "shorten",
                                            "release", "style-bluesky", "style-mastodon",
                                            "suggest", "triage",        "summary"};

data to_data(const nlohmann::json& j) {
  if (j.is_object()) {
    data d{data::type::object};
    for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
    return d;
  }
  if (j.is_array()) {
    data d{data::type::list};
    for (const auto& v : j) d.push_back(to_data(v));
    return d;
  }
  if (j.is_boolean()) return j.get<bool>() ? data{data::type::bool_true} : data{data::type::bool_false};
  if (j.is_null()) return data{data::type::bool_false};
  if (j.is_string()) {
    // An empty string is false for sections ({{#tone}}...{{/tone}} only when there is a tone).
    const auto& s = j.get_ref<const std::string&>();
    return s.empty() ? data{data::type::bool_false} : data{s};
  }
  return data{j.dump()};
}

// kainjow says "Unclosed tag at 123" (a byte offset): say the line instead.
std::string with_line(const std::string& message, const std::string& text) {
  auto at = message.rfind(" at ");
  if (at == std::string::npos) return message;
  try {
    size_t offset = std::stoul(message.substr(at + 4));
    long line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(std::min(offset, text.size())), '\n');
    return "line " + std::to_string(line) + ": " + message.substr(0, at);
  } catch (const std::exception&) {
    return message;
  }
}

// Every {{variable}} used outside a section must be given (a key in `vars`, even ""): a
// --var forgotten would otherwise make a prompt with a hole in it. Inside a section the name may
// be a field of the section's items, so it is not checked there (nor after a delimiter change).
void check_variables(const TemplateInfo& tpl, const nlohmann::json& vars) {
  const std::string& t = tpl.text;
  std::vector<std::string> sections;
  size_t pos = 0;
  while ((pos = t.find("{{", pos)) != std::string::npos) {
    bool triple = t.compare(pos, 3, "{{{") == 0;
    size_t end = t.find(triple ? "}}}" : "}}", pos);
    if (end == std::string::npos) return;  // the parser reports it
    std::string tag = t.substr(pos + (triple ? 3 : 2), end - pos - (triple ? 3 : 2));
    pos = end + (triple ? 3 : 2);
    tag.erase(0, tag.find_first_not_of(" \t"));
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.pop_back();
    if (tag.empty()) continue;
    char sigil = tag[0];
    if (sigil == '=')  // a delimiter change would hide partials from this reading
      throw Error(ErrorKind::config, "template '" + tpl.name + "' changes its delimiters ({{" + tag + "}}), which crier does not take",
                  "use {{ and }}");
    if (sigil == '!') continue;
    // A partial renders a value as a template: a value that names itself again (a page's text
    // can say anything) recursed until the stack ran out (found by fuzzing). crier's templates
    // have no partials.
    if (sigil == '>')
      throw Error(ErrorKind::config, "template '" + tpl.name + "' uses a partial ({{" + tag + "}}), which crier does not take",
                  "write the text into the template itself");
    std::string name = tag;
    if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '&') {
      name = tag.substr(1);
      name.erase(0, name.find_first_not_of(" \t"));
    }
    if (sigil == '#' || sigil == '^') {
      sections.push_back(name);
      continue;
    }
    if (sigil == '/') {
      if (!sections.empty()) sections.pop_back();
      continue;
    }
    if (!sections.empty() || name == ".") continue;
    std::string root = name.substr(0, name.find('.'));
    if (!vars.is_object() || !vars.contains(root))
      throw Error(ErrorKind::invalid_input,
                  "template '" + tpl.name + "' uses {{" + name + "}}, which was not given",
                  "give it: --var " + root + "=VALUE (crier templates show " + tpl.name + ")");
  }
}

}  // namespace

std::vector<TemplateInfo> list_templates(const fs::path& user_dir) {
  std::map<std::string, TemplateInfo> all;
  for (const auto& n : k_builtin)
    all[n] = {n, "built-in", std::string(embedded_file("templates/" + n + ".mustache"))};
  std::error_code ec;
  if (fs::is_directory(user_dir, ec))
    for (const auto& e : fs::directory_iterator(user_dir, ec))
      if (e.path().extension() == ".mustache") {
        std::string n = e.path().stem().string();
        all[n] = {n, e.path().string(), read_file(e.path())};
      }
  std::vector<TemplateInfo> out;
  for (auto& [n, t] : all) out.push_back(std::move(t));
  return out;
}

TemplateInfo load_template(const std::string& name, const fs::path& user_dir) {
  for (auto& t : list_templates(user_dir))
    if (t.name == name) return t;
  std::string names;
  for (const auto& t : list_templates(user_dir)) names += (names.empty() ? "" : ", ") + t.name;
  throw Error(ErrorKind::not_found, "no template '" + name + "'",
              "there are: " + names + " (crier templates list); add your own in " + user_dir.string());
}

std::string render_template(const TemplateInfo& tpl, const nlohmann::json& vars) {
  mustache m{tpl.text};
  if (!m.is_valid())
    throw Error(ErrorKind::config, "template '" + tpl.name + "' (" + tpl.origin + "), " + with_line(m.error_message(), tpl.text),
                "fix the template, or remove it to use the built-in one");
  check_variables(tpl, vars);
  // A prompt is not HTML: Q&A "Tom" reaches the model as written, not as Q&amp;A &quot;Tom&quot;.
  m.set_custom_escape([](const std::string& s) { return s; });
  std::string out = m.render(to_data(vars));
  if (!m.is_valid())
    throw Error(ErrorKind::config, "template '" + tpl.name + "' (" + tpl.origin + "): " + m.error_message());
  return out;
}

}  // namespace crier
