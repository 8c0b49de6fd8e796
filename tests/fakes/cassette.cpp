#include "fakes/cassette.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace crier::testing {
namespace {

size_t indent_of(const std::string& line) { return line.find_first_not_of(' '); }

std::string after_colon(const std::string& line) {
  auto c = line.find(':');
  std::string v = line.substr(c + 1);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

// Reads a scalar that starts on lines[i] after "key: "; advances i past it.
std::string read_scalar(const std::vector<std::string>& lines, size_t& i) {
  std::string v = after_colon(lines[i]);
  if (v.empty() || v[0] != '\'') {
    if (v == "null") v.clear();
    size_t ind = indent_of(lines[i]);
    // plain scalars may continue on more-indented lines
    while (i + 1 < lines.size() && indent_of(lines[i + 1]) > ind && lines[i + 1].find(": ") == std::string::npos) {
      ++i;
      v += " " + lines[i].substr(indent_of(lines[i]));
    }
    return v;
  }
  std::string text = v.substr(1);
  std::string out;
  for (;;) {
    // consume text, looking for the closing quote ('' is an escaped quote)
    for (size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '\'') {
        if (k + 1 < text.size() && text[k + 1] == '\'') {
          out += '\'';
          ++k;
          continue;
        }
        return out;
      }
      out += text[k];
    }
    if (++i >= lines.size()) throw std::runtime_error("unterminated YAML string");
    const std::string& next = lines[i];
    auto start = next.find_first_not_of(' ');
    if (start == std::string::npos) {  // an empty line is a newline
      out += '\n';
      text.clear();
      continue;
    }
    if (!out.empty() && out.back() != '\n') out += ' ';
    text = next.substr(start);
  }
}

}  // namespace

std::vector<RecordedInteraction> read_cassette(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read cassette " + path.string());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<RecordedInteraction> out;
  bool in_response = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("- request:", 0) == 0) {
      out.emplace_back();
      in_response = false;
    } else if (l.rfind("  response:", 0) == 0) {
      in_response = true;
    } else if (out.empty()) {
      continue;
    } else if (!in_response && l.rfind("    body:", 0) == 0) {
      out.back().request_body = read_scalar(lines, i);
    } else if (!in_response && l.rfind("    method:", 0) == 0) {
      out.back().method = after_colon(l);
    } else if (!in_response && l.rfind("    uri:", 0) == 0) {
      out.back().uri = l.substr(l.find(':') + 2);
    } else if (in_response && l.rfind("      code:", 0) == 0) {
      out.back().status = std::stoi(after_colon(l));
    } else if (in_response && l.rfind("      string:", 0) == 0) {
      out.back().response_body = read_scalar(lines, i);
    }
  }
  return out;
}

std::filesystem::path recorded_fixtures_dir() {
  std::filesystem::path p = CRIER_FIXTURES_DIR;
  if (!std::filesystem::exists(p))
    throw std::runtime_error("recorded fixtures not found at " + p.string() +
                             " (expected ../shared/fixtures/recorded beside the repository)");
  return p;
}

std::string recorded_body(const std::string& cassette, const std::string& method, const std::string& uri_part) {
  auto path = recorded_fixtures_dir() / "mastodon.py/tests/cassettes" / cassette;
  for (const auto& i : read_cassette(path))
    if (i.method == method && i.uri.find(uri_part) != std::string::npos) return i.response_body;
  throw std::runtime_error("no " + method + " " + uri_part + " in " + path.string());
}

}  // namespace crier::testing
